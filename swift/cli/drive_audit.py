# Owns ``swift-drive-audit``: find disks the kernel complains about and take them out
# of service before they corrupt data. Rules (as Swift's drive-audit):
# - read the kernel log files matching ``log_file_pattern`` newest first, line by line
#   from the end, stopping at the last boot or at lines older than ``minutes``;
# - each ``regex_pattern_N`` (or the two default patterns) captures a kernel device
#   name (``sdb1``); errors are counted per device;
# - a device with at least ``error_limit`` errors that is mounted under ``device_dir``
#   is unmounted (``umount -fl``) and commented out of /etc/fstab, only when
#   ``unmount_failed_device`` is true (the default);
# - ``drive.recon`` gets each mount point's error count and ``drive_audit_errors``.
"""``swift-drive-audit``: scan the kernel log for failing drives."""

import configparser
import datetime
import glob
import locale
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field

from swift.common.config import ConfigError, config_bool, config_number
from swift.common.logs import get_logger
from swift.common.recon import dump_recon_cache, recon_cache_file

SECTION = 'drive-audit'
DEFAULT_ERROR_PATTERNS = (r'\berror\b.*\b(sd[a-z]{1,2}\d?)\b',
                          r'\b(sd[a-z]{1,2}\d?)\b.*\berror\b')
BOOT_MARKERS = ('[    0.000000]', 'KERNEL supported cpus:',
                'BIOS-provided physical RAM map:')
READ_BLOCK_BYTES = 4096


class DriveAuditError(Exception):
    """drive-audit cannot run (bad config, unreadable log); shown as one line."""


@dataclass(frozen=True)
class DriveAuditConfig:
    """Options of the ``[drive-audit]`` section, with Swift's defaults."""
    device_dir: str = '/srv/node'
    minutes: int = 60
    error_limit: int = 1
    recon_cache_path: str = '/var/cache/swift'
    log_file_pattern: str = '/var/log/kern.*[!.][!g][!z]'
    log_file_encoding: str = 'auto'
    unmount_failed_device: bool = True
    error_patterns: tuple = field(default=DEFAULT_ERROR_PATTERNS)

    @classmethod
    def from_conf(cls, conf):
        """Build from the section's dict.

        :raises ConfigError: naming the bad option (also for a regex that does not
            compile).
        """
        patterns = []
        for key in sorted(k for k in conf if k.startswith('regex_pattern_')):
            try:
                re.compile(conf[key])
            except re.error:
                raise ConfigError('unable to compile regex pattern "%s"' % conf[key],
                                  option=key)
            patterns.append(conf[key])
        encoding = conf.get('log_file_encoding', 'auto')
        return cls(
            device_dir=conf.get('device_dir', cls.device_dir),
            minutes=config_number(conf.get('minutes', 60), int, 'minutes', 0),
            error_limit=config_number(conf.get('error_limit', 1), int, 'error_limit', 1),
            recon_cache_path=conf.get('recon_cache_path', cls.recon_cache_path),
            log_file_pattern=conf.get('log_file_pattern', cls.log_file_pattern),
            log_file_encoding=(locale.getpreferredencoding() if encoding == 'auto'
                               else encoding),
            unmount_failed_device=config_bool(
                conf.get('unmount_failed_device', True), 'unmount_failed_device'),
            error_patterns=tuple(patterns) or DEFAULT_ERROR_PATTERNS)


class LocalSystem:
    """The host facts and actions drive-audit needs (tests inject a fake).

    ``mounts()`` -> [(block_device, mount_point)]; ``device_number(path)`` ->
    (major, minor) str pair or raises OSError; ``partitions()`` -> {(major, minor):
    kernel name}; ``unmount(mount_point)``; ``comment_fstab(mount_point)``;
    ``after_fstab_change()``.
    """

    fstab = '/etc/fstab'

    def mounts(self):
        with open('/proc/mounts') as fp:
            return [tuple(line.split()[:2]) for line in fp if len(line.split()) >= 2]

    def device_number(self, path):
        rdev = os.stat(path).st_rdev
        return str(os.major(rdev)), str(os.minor(rdev))

    def partitions(self):
        found = {}
        with open('/proc/partitions') as fp:
            for line in fp.readlines()[2:]:
                fields = line.split()
                if len(fields) == 4:
                    found[(fields[0], fields[1])] = fields[3]
        return found

    def unmount(self, mount_point):
        subprocess.call(['umount', '-fl', mount_point])

    def comment_fstab(self, mount_point):
        """Comment out ``mount_point``'s line in /etc/fstab (temp file + rename)."""
        comment_fstab(self.fstab, mount_point)

    def after_fstab_change(self):
        if os.path.isdir('/run/systemd/system'):
            subprocess.call(['/usr/bin/systemctl', 'daemon-reload'])


def comment_fstab(fstab_path, mount_point):
    """Prefix ``#`` to the uncommented fstab lines mounting ``mount_point``."""
    from swift.common.fs import write_file_atomic
    with open(fstab_path) as fp:
        lines = fp.readlines()
    out = []
    for line in lines:
        parts = line.split()
        if len(parts) > 2 and parts[1] == mount_point and not line.startswith('#'):
            line = '#' + line
        out.append(line)
    write_file_atomic(fstab_path, ''.join(out).encode('utf-8'),
                      mode=os.stat(fstab_path).st_mode & 0o777)


def get_devices(device_dir, system, logger):
    """Mounted devices under ``device_dir``: dicts with mount_point, block_device,
    major, minor and kernel_device (name from /proc/partitions, or None)."""
    devices = []
    for block_device, mount_point in system.mounts():
        if not mount_point.startswith(device_dir):
            continue
        try:
            major, minor = system.device_number(block_device)
        except OSError:
            logger.error('Could not determine major:minor numbers for %s (%s)! '
                         'Skipping...', block_device, mount_point)
            continue
        devices.append({'mount_point': mount_point, 'block_device': block_device,
                        'major': major, 'minor': minor, 'kernel_device': None})
    names = system.partitions()
    for device in devices:
        device['kernel_device'] = names.get((device['major'], device['minor']))
    return devices


def backward(fp, block_bytes=READ_BLOCK_BYTES):
    """Yield the lines (bytes, without newline) of binary file ``fp``, last first."""
    fp.seek(0, os.SEEK_END)
    position = fp.tell()
    tail = b''
    while position > 0:
        step = min(block_bytes, position)
        position -= step
        fp.seek(position)
        chunk = fp.read(step) + tail
        lines = chunk.split(b'\n')
        tail = lines.pop(0)
        for line in reversed(lines):
            if line:
                yield line
    if tail:
        yield tail


def parse_log_time(line, year):
    """The local naive datetime of a syslog (``Nov 29 22:10:11``) or ISO-8601 line,
    or None when the line carries neither."""
    fields = line.split()
    if len(fields) >= 3:
        try:
            return datetime.datetime.strptime(
                '%d %s' % (year, ' '.join(fields[:3])), '%Y %b %d %H:%M:%S')
        except ValueError:
            pass
    if fields:
        try:
            stamp = datetime.datetime.fromisoformat(fields[0])
        except ValueError:
            return None
        if stamp.tzinfo is not None:
            stamp = stamp.astimezone().replace(tzinfo=None)
        return stamp
    return None


class _LogScan:
    """Per-scan state: the cut-off time and the year of syslog lines (kern.log has no
    year; walking backwards, a December line after a January one is last year)."""

    def __init__(self, now, minutes):
        self.end_time = now - datetime.timedelta(minutes=minutes)
        self.year = now.year
        self.previous_month = now.strftime('%b')
        self.errors = {}

    def feed(self, line, patterns):
        """Count ``line``'s errors; False when the scan must stop (boot or too old)."""
        if any(marker in line for marker in BOOT_MARKERS):
            return False
        month = line.split()[0] if line.split() else ''
        if month == 'Dec' and self.previous_month == 'Jan':
            self.year -= 1
        self.previous_month = month
        log_time = parse_log_time(line, self.year)
        if log_time is None:
            return True
        if log_time <= self.end_time:
            return False
        for pattern in patterns:
            for device in pattern.findall(line):
                self.errors[device] = self.errors.get(device, 0) + 1
        return True


def get_errors(config, now):
    """``{kernel_device: error count}`` from the recent kernel log.

    :param now: local naive datetime.
    :raises DriveAuditError: when a log file cannot be read.
    """
    try:
        log_files = sorted(glob.glob(config.log_file_pattern),
                           key=lambda path: os.stat(path).st_mtime, reverse=True)
    except OSError as err:
        raise DriveAuditError(str(err))
    patterns = [re.compile(p) for p in config.error_patterns]
    scan = _LogScan(now, config.minutes)
    for path in log_files:
        try:
            fp = open(path, 'rb')
        except OSError:
            raise DriveAuditError('Unable to open %s' % path)
        with fp:
            for raw in backward(fp):
                line = raw.decode(config.log_file_encoding, 'surrogateescape')
                if not scan.feed(line, patterns):
                    return scan.errors
    return scan.errors


class DriveAudit:
    """One drive-audit run.

    :param config: :class:`DriveAuditConfig`.
    :param logger: logger; ``clock``: object with ``time()``; ``system``: host facts
        and actions (:class:`LocalSystem`).
    """

    def __init__(self, config, *, logger, clock=time, system=None):
        self.config = config
        self.logger = logger
        self.clock = clock
        self.system = system or LocalSystem()

    def run(self):
        """Scan, act on failing devices, write drive.recon.

        :returns: ``{mount_point: error count}`` as written to the recon cache.
        :raises DriveAuditError: when the log cannot be read.
        """
        config = self.config
        devices = get_devices(config.device_dir, self.system, self.logger)
        self.logger.debug('Devices found: %s', devices)
        if not devices:
            self.logger.error('Error: No devices found!')
        recon_errors = {device['mount_point']: 0 for device in devices}
        now = datetime.datetime.fromtimestamp(self.clock.time())
        errors = get_errors(config, now)
        self.logger.debug('Errors found: %s', errors)
        total_errors = unmounts = 0
        for kernel_device, count in sorted(errors.items()):
            if count < config.error_limit:
                continue
            matching = [d for d in devices if d['kernel_device'] == kernel_device]
            if not matching:
                continue
            mount_point = matching[0]['mount_point']
            if self._take_out(mount_point, count):
                unmounts += 1
            recon_errors[mount_point] = count
            total_errors += count
        cache = recon_cache_file(config.recon_cache_path, 'drive')
        dump_recon_cache(recon_errors, cache, self.logger)
        dump_recon_cache({'drive_audit_errors': total_errors}, cache, self.logger)
        if unmounts == 0:
            self.logger.info('No drives were unmounted')
        else:
            self.system.after_fstab_change()
        return recon_errors

    def _take_out(self, mount_point, count):
        """Unmount and comment out ``mount_point`` when allowed; True if done."""
        if not self.config.unmount_failed_device:
            self.logger.info('Detected %s with %d errors (Device not unmounted)',
                             mount_point, count)
            return False
        self.logger.info('Unmounting %s with %d errors', mount_point, count)
        self.system.unmount(mount_point)
        self.logger.info('Commenting out %s from /etc/fstab', mount_point)
        self.system.comment_fstab(mount_point)
        return True


def read_section(conf_path):
    """The ``[drive-audit]`` section of ``conf_path`` (DEFAULT merged in).

    :raises DriveAuditError: unreadable file or missing section.
    """
    parser = configparser.ConfigParser(interpolation=None)
    try:
        if not parser.read(conf_path):
            raise DriveAuditError('Unable to read config file %s' % conf_path)
    except configparser.Error as err:
        raise DriveAuditError('Unable to read config file %s: %s' % (conf_path, err))
    if not parser.has_section(SECTION):
        raise DriveAuditError('Unable to find %s config section in %s'
                              % (SECTION, conf_path))
    return dict(parser.items(SECTION))


def main(argv=None, *, logger=None, clock=time, system=None, err=None):
    """Entry point of ``swift-drive-audit CONF_FILE``; returns 0, or 1 with a one-line
    message on stderr."""
    argv = sys.argv[1:] if argv is None else list(argv)
    err = err or sys.stderr
    if len(argv) != 1:
        print('Usage: swift-drive-audit CONF_FILE', file=err)
        return 1
    try:
        conf = read_section(argv[0])
        config = DriveAuditConfig.from_conf(conf)
        conf.setdefault('log_name', SECTION)
        logger = logger or get_logger(conf, log_route=SECTION)
        DriveAudit(config, logger=logger, clock=clock, system=system).run()
    except (DriveAuditError, ConfigError) as error:
        print('Error: %s' % error, file=err)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
