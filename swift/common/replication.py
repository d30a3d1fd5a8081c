# Owns what the object and DB replicators share (swift-catalog.md 8): which ring
# devices are this node's, how an rsync target is named, and how rsync is run.
# Rules (Swift's):
#   * a device is local when its replication_ip is one of ours (bind_ip, or every
#     interface address when bound to 0.0.0.0/::) and its replication_port is ours;
#   * rsync_module is a template over the node dict ({replication_ip},
#     {replication_port}, {ip}, {port}, {device}, {region}, {zone}); IPv6 addresses
#     are bracketed;
#   * rsync runs as a child process bounded by rsync_timeout; its output is logged line
#     by line; exit status 0 is success.
"""Replication helpers: local devices, rsync module names, the rsync runner."""

import socket
import subprocess
from dataclasses import dataclass, field
from typing import List

from swift.common import concurrency

# rsync temp files look like ".<name>.XXXXXX"; never ship half-written ones
RSYNC_TEMP_EXCLUDE = '--exclude=.*.%s' % ''.join('[0-9a-zA-Z]' for _ in range(6))


class RsyncModuleError(ValueError):
    """``rsync_module`` names an unknown placeholder.

    :ivar template: the configured template.
    """

    def __init__(self, template, err):
        super().__init__('Cannot interpolate rsync_module %r: %s' % (template, err))
        self.template = template


def whataremyips(bind_ip=None):
    """Addresses of this host that a ring device may carry.

    :param bind_ip: the configured bind_ip; a specific address is the only answer,
        ``0.0.0.0``/``::``/None means every interface address (via psutil).
    :returns: list of address strings.
    """
    if bind_ip and bind_ip not in ('0.0.0.0', '::'):
        return [bind_ip]
    addresses = []
    try:
        import psutil
        for entries in psutil.net_if_addrs().values():
            for entry in entries:
                if entry.family in (socket.AF_INET, socket.AF_INET6):
                    addresses.append(entry.address.split('%')[0])
    except ImportError:
        addresses = ['127.0.0.1', '::1']
    return addresses


def is_local_device(my_ips, my_port, dev):
    """True when ring device ``dev`` (a dict or None) is served by this node."""
    if not dev:
        return False
    ip = dev.get('replication_ip') or dev.get('ip')
    port = dev.get('replication_port') or dev.get('port')
    if ip not in my_ips:
        return False
    return my_port is None or int(port) == int(my_port)


def rsync_ip(ip):
    """``[ip]`` for IPv6, ``ip`` otherwise."""
    return '[%s]' % ip if ':' in str(ip) and not str(ip).startswith('[') else ip


def rsync_module_interpolation(template, node):
    """Fill ``template`` (e.g. ``{replication_ip}::object{replication_port}``).

    :raises RsyncModuleError: unknown placeholder.
    """
    values = {'ip': rsync_ip(node.get('ip', '')), 'port': node.get('port', ''),
              'replication_ip': rsync_ip(node.get('replication_ip', '')),
              'replication_port': node.get('replication_port', ''),
              'region': node.get('region', ''), 'zone': node.get('zone', ''),
              'device': node.get('device', '')}
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError) as err:
        raise RsyncModuleError(template, err)


@dataclass
class RsyncResult:
    """What one rsync run did.

    :ivar returncode: exit status (0 ok; 1 also for a timeout kill).
    :ivar output: stdout+stderr lines.
    :ivar timed_out: killed after rsync_timeout.
    """
    returncode: int
    output: List[str] = field(default_factory=list)
    timed_out: bool = False


def run_rsync(args, timeout_s):
    """Run ``args`` (an rsync command line) in a worker thread, bounded.

    :param timeout_s: kill after this many seconds (rsync_timeout).
    :returns: :class:`RsyncResult`. Never raises for rsync failures.
    """
    def _run():
        try:
            done = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired as err:
            text = (err.output or b'').decode('utf-8', 'replace')
            return RsyncResult(1, text.splitlines(), timed_out=True)
        except OSError as err:
            return RsyncResult(127, [str(err)])
        text = done.stdout.decode('utf-8', 'replace')
        return RsyncResult(done.returncode, text.splitlines())
    return concurrency.run_in_thread(_run)


def log_rsync_result(logger, args, result, elapsed_s, log_transfers=True):
    """Log an rsync run as Swift does (errors per line on failure).

    :returns: True on success.
    """
    if result.timed_out:
        logger.error('Killing long-running rsync: %s', args)
        return False
    for line in result.output:
        if not line or line.startswith('cd+'):
            continue
        if line.startswith('<') and not log_transfers:
            continue
        if result.returncode:
            logger.error('%s', line)
        else:
            logger.debug('%s', line)
    if result.returncode:
        logger.error('Bad rsync return code: %s <- %s', result.returncode, args)
        return False
    log = logger.info if result.output else logger.debug
    log('Successful rsync of %s to %s (%.03f)', args[-2], args[-1], elapsed_s)
    return True
