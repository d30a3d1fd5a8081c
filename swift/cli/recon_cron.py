# Owns ``swift-recon-cron``: the cron job that counts async pendings on an object node
# into object.recon (``async_pending``, ``async_pending_last``), which /recon/async and
# ``swift-recon -a`` report. Rules (as Swift): options come from the object server
# config's ``[filter:recon]`` section (DEFAULT merged in); a directory
# ``<recon_lock_path>/swift-recon-object-cron`` is the run lock (mkdir is atomic), so
# overlapping runs refuse to start; counting counts files in
# ``<dev>/async_pending[-N]/<suffix>/``.
"""``swift-recon-cron``: count async pendings into the object recon cache."""

import configparser
import os
import sys
import time

from swift.common.logs import get_logger
from swift.common.recon import (DEFAULT_RECON_CACHE_PATH, RECON_OBJECT_FILE,
                                dump_recon_cache)

ASYNCDIR_BASE = 'async_pending'
LOCK_DIR_NAME = 'swift-recon-object-cron'


def get_async_count(device_dir):
    """Number of async pending files under every device of ``device_dir``.

    :raises OSError: when ``device_dir`` cannot be listed.
    """
    count = 0
    for device in os.listdir(device_dir):
        device_path = os.path.join(device_dir, device)
        if not os.path.isdir(device_path):
            continue
        for name in os.listdir(device_path):
            if not (name == ASYNCDIR_BASE or name.startswith(ASYNCDIR_BASE + '-')):
                continue
            async_dir = os.path.join(device_path, name)
            if not os.path.isdir(async_dir):
                continue
            for suffix in os.listdir(async_dir):
                suffix_path = os.path.join(async_dir, suffix)
                if os.path.isdir(suffix_path):
                    count += len(os.listdir(suffix_path))
    return count


def read_recon_conf(conf_path):
    """The ``[filter:recon]`` options of ``conf_path`` (DEFAULT merged in).

    :returns: dict, or None when the file cannot be read.
    """
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        if not parser.read(conf_path):
            return None
    except configparser.Error:
        return None
    if parser.has_section('filter:recon'):
        return dict(parser.items('filter:recon'))
    return dict(parser.defaults())


def run(conf, logger, clock=time):
    """Count asyncs and write them; returns the count or None on failure."""
    device_dir = conf.get('devices', '/srv/node')
    cache_file = os.path.join(conf.get('recon_cache_path', DEFAULT_RECON_CACHE_PATH),
                              RECON_OBJECT_FILE)
    try:
        asyncs = get_async_count(device_dir)
    except OSError:
        logger.exception('Exception during recon-cron while accessing devices')
        return None
    dump_recon_cache({'async_pending': asyncs, 'async_pending_last': clock.time()},
                     cache_file, logger)
    return asyncs


def main(argv=None, *, out=None, logger=None, clock=time):
    """Entry point of ``swift-recon-cron CONF_FILE``; returns 0, or 1 with a message."""
    argv = sys.argv[1:] if argv is None else list(argv)
    out = out or sys.stdout
    if len(argv) != 1:
        print('Usage: swift-recon-cron CONF_FILE', file=out)
        print('ex: swift-recon-cron /etc/swift/object-server.conf', file=out)
        return 1
    conf = read_recon_conf(argv[0])
    if conf is None:
        print('Unable to read config file %s' % argv[0], file=out)
        return 1
    conf.setdefault('log_name', 'recon-cron')
    logger = logger or get_logger(conf, log_route='recon-cron')
    lock_dir = os.path.join(conf.get('recon_lock_path', '/var/lock'), LOCK_DIR_NAME)
    try:
        os.mkdir(lock_dir)
    except OSError as err:
        logger.critical(str(err))
        print(str(err), file=out)
        return 1
    try:
        run(conf, logger, clock)
    finally:
        try:
            os.rmdir(lock_dir)
        except OSError:
            logger.exception('Exception remove cronjob lock')
    return 0


if __name__ == '__main__':
    sys.exit(main())
