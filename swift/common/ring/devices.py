# Owns the text forms of ring devices used by swift-ring-builder:
#   add value    [r<region>]z<zone>-<ip>:<port>[R<r_ip>:<r_port>]/<device>_<meta>
#   search value d<id>r<region>z<zone>-<ip>:<port>R<r_ip>:<r_port>/<device>_<meta>
#   display      d0r1z1-127.0.0.1:6010R127.0.0.1:6010/sda_""
# IPv6 addresses go in brackets and are normalised (lower case, canonical form).
"""Parse and format ring device descriptions."""

import ipaddress
import re

from swift.common.ring.errors import DeviceSyntaxError

_HOSTNAME_LABEL = re.compile(r'^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$')
_DEVICE_NAME = re.compile(r'^[^/\x00]+$')

SEARCH_VALUE_HELP = '''\
The <search-value> can be of the form::

    d<device_id>r<region>z<zone>-<ip>:<port>R<r_ip>:<r_port>/
     <device_name>_<meta>

    Where <r_ip> and <r_port> are replication ip and port.

    Any part is optional, but you must include at least one part.

    Examples::

    d74              Matches the device id 74
    r4               Matches devices in region 4
    z1               Matches devices in zone 1
    z1-1.2.3.4       Matches devices in zone 1 with the ip 1.2.3.4
    1.2.3.4          Matches devices in any zone with the ip 1.2.3.4
    z1:5678          Matches devices in zone 1 using port 5678
    :5678            Matches devices that use port 5678
    R5.6.7.8         Matches devices that use replication ip 5.6.7.8
    R:5678           Matches devices that use replication port 5678
    1.2.3.4R5.6.7.8  Matches devices that use ip 1.2.3.4 and replication ip
                     5.6.7.8
    /sdb1            Matches devices with the device name sdb1
    _shiny           Matches devices with shiny in the meta data
    _"snet: 5.6.7.8" Matches devices with snet: 5.6.7.8 in the meta data
    [::1]            Matches devices in any zone with the ip ::1
    z1-[::1]:5678    Matches devices in zone 1 with ip ::1 and port 5678

    Most specific example::

    d74r4z1-1.2.3.4:5678/sdb1_"snet: 5.6.7.8"

    Nerd explanation:

    All items require their single character prefix except the ip, in which
    case the - is optional unless the device id or zone is also included.'''


def is_valid_ipv6(value):
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return True


def is_valid_ip(value):
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def is_valid_hostname(value):
    if not value or len(value) > 255:
        return False
    value = value[:-1] if value.endswith('.') else value
    return all(_HOSTNAME_LABEL.match(label) for label in value.split('.'))


def validate_and_normalize_ip(ip):
    """Lower-case an address; IPv6 in canonical form.

    :raises DeviceSyntaxError: (a ValueError) if neither an IP nor a hostname.
    """
    new_ip = ip.lower()
    if is_valid_ipv6(new_ip):
        return str(ipaddress.IPv6Address(new_ip))
    if is_valid_ip(new_ip):
        return new_ip
    if is_valid_hostname(new_ip):
        return new_ip
    raise DeviceSyntaxError('Invalid address %s' % ip, ip)


def parse_address(rest):
    """Split ``<ip>:<port>`` off the front of ``rest`` (up to ``R`` or ``/``).

    :returns: ``(ip, port, remaining text)``.
    :raises DeviceSyntaxError: for a missing or bad port or address.
    """
    if rest.startswith('['):
        rest = rest.replace('[', '', 1).replace(']', '', 1)
    pos = 0
    while pos < len(rest) and rest[pos] not in 'R/':
        pos += 1
    address, rest = rest[:pos], rest[pos:]
    port_start = address.rfind(':')
    if port_start == -1:
        raise DeviceSyntaxError('Invalid port in add value', address)
    ip = address[:port_start]
    try:
        port = int(address[port_start + 1:])
    except ValueError:
        raise DeviceSyntaxError('Invalid port %s in add value'
                                % address[port_start:], address)
    return validate_and_normalize_ip(ip), port, rest


def _leading_int(text, prefix, original, what):
    i = 1
    while i < len(text) and text[i].isdigit():
        i += 1
    try:
        return int(text[1:i]), text[i:]
    except ValueError:
        raise DeviceSyntaxError('Invalid %s: %s' % (what, original), original)


def parse_add_value(add_value):
    """Parse ``[r<region>]z<zone>-<ip>:<port>[R<r_ip>:<r_port>]/<device>[_<meta>]``.

    :returns: dict with region (None if absent), zone, ip, port, device,
        replication_ip / replication_port (None if absent) and meta.
    :raises DeviceSyntaxError: (a ValueError) if malformed.
    """
    region = None
    rest = add_value
    if rest.startswith('r'):
        region, rest = _leading_int(rest, 'r', add_value, 'add value')
    if not rest.startswith('z'):
        raise DeviceSyntaxError('Invalid add value: %s' % add_value, add_value)
    zone, rest = _leading_int(rest, 'z', add_value, 'add value')
    if not rest.startswith('-'):
        raise DeviceSyntaxError('Invalid add value: %s' % add_value, add_value)
    ip, port, rest = parse_address(rest[1:])
    replication_ip = replication_port = None
    if rest.startswith('R'):
        replication_ip, replication_port, rest = parse_address(rest[1:])
    if not rest.startswith('/'):
        raise DeviceSyntaxError('Invalid add value: %s' % add_value, add_value)
    i = 1
    while i < len(rest) and rest[i] != '_':
        i += 1
    device_name = rest[1:i]
    if not _DEVICE_NAME.match(device_name):
        raise DeviceSyntaxError('Invalid device name', add_value)
    rest = rest[i:]
    meta = rest[1:] if rest.startswith('_') else ''
    return {'region': region, 'zone': zone, 'ip': ip, 'port': port,
            'device': device_name, 'replication_ip': replication_ip,
            'replication_port': replication_port, 'meta': meta}


def _take_ip(text):
    if text and text[0].isdigit():
        i = 1
        while i < len(text) and text[i] in '0123456789.':
            i += 1
        return text[:i], text[i:]
    if text.startswith('['):
        i = 1
        while i < len(text) and text[i] != ']':
            i += 1
        i += 1
        return text[:i].lstrip('[').rstrip(']'), text[i:]
    return None, text


def parse_search_value(search_value):
    """Parse a search value (see :data:`SEARCH_VALUE_HELP`) into a match dict.

    :returns: dict with any of id, region, zone, ip, port, replication_ip,
        replication_port, device, meta.
    :raises DeviceSyntaxError: (a ValueError) for leftover text.
    """
    original = search_value
    match = {}
    for prefix, key in (('d', 'id'), ('r', 'region'), ('z', 'zone')):
        if search_value.startswith(prefix):
            match[key], search_value = _leading_int(
                search_value, prefix, repr(original), '<search-value>')
    if search_value.startswith('-'):
        search_value = search_value[1:]
    ip, search_value = _take_ip(search_value)
    if ip is not None:
        match['ip'] = validate_and_normalize_ip(ip)
    if search_value.startswith(':'):
        match['port'], search_value = _leading_int(
            search_value, ':', repr(original), '<search-value>')
    if search_value.startswith('R'):
        ip, search_value = _take_ip(search_value[1:])
        if ip is not None:
            match['replication_ip'] = validate_and_normalize_ip(ip)
        if search_value.startswith(':'):
            match['replication_port'], search_value = _leading_int(
                search_value, ':', repr(original), '<search-value>')
    if search_value.startswith('/'):
        i = 1
        while i < len(search_value) and search_value[i] != '_':
            i += 1
        match['device'] = search_value[1:i]
        search_value = search_value[i:]
    if search_value.startswith('_'):
        match['meta'] = search_value[1:]
        search_value = ''
    if search_value:
        raise DeviceSyntaxError('Invalid <search-value>: %s' % repr(original),
                                original)
    return match


def parse_change_value(change_value):
    """Parse a set_info value ``<ip>:<port>[R<r_ip>:<r_port>]/<device>_<meta>``.

    Every part is optional.

    :returns: dict with any of ip, port, replication_ip, replication_port,
        device, meta.
    :raises DeviceSyntaxError: for leftover text.
    """
    original = change_value
    change = {}
    ip, change_value = _take_ip(change_value)
    if ip is None and change_value and change_value[0] not in ':R/_':
        # a hostname runs up to the port
        i = 0
        while i < len(change_value) and change_value[i] not in ':R/_':
            i += 1
        ip, change_value = change_value[:i], change_value[i:]
    if ip is not None:
        change['ip'] = validate_and_normalize_ip(ip)
    if change_value.startswith(':'):
        change['port'], change_value = _leading_int(
            change_value, ':', original, 'set_info value')
    if change_value.startswith('R'):
        ip, change_value = _take_ip(change_value[1:])
        if ip is not None:
            change['replication_ip'] = validate_and_normalize_ip(ip)
        if change_value.startswith(':'):
            change['replication_port'], change_value = _leading_int(
                change_value, ':', original, 'set_info value')
    if change_value.startswith('/'):
        i = 1
        while i < len(change_value) and change_value[i] != '_':
            i += 1
        change['device'] = change_value[1:i]
        change_value = change_value[i:]
    if change_value.startswith('_'):
        change['meta'] = change_value[1:]
        change_value = ''
    if change_value or not change:
        raise DeviceSyntaxError('Invalid set info change value: %s'
                                % repr(original), original)
    return change


def _bracket(ip):
    return '[%s]' % ip if ':' in ip else ip


def format_device(dev):
    """``d<id>r<region>z<zone>-<ip>:<port>R<r_ip>:<r_port>/<device>_"<meta>"``."""
    copy_dev = dict(dev)
    for key in ('ip', 'replication_ip'):
        copy_dev[key] = _bracket(copy_dev[key])
    return ('d%(id)sr%(region)sz%(zone)s-%(ip)s:%(port)sR'
            '%(replication_ip)s:%(replication_port)s/%(device)s_'
            '"%(meta)s"' % copy_dev)


def pretty_dev(dev):
    """Short device label used in logs: ``d0r1z1-127.0.0.1:6010/sda``."""
    return 'd%sr%sz%s-%s:%s/%s' % (dev['id'], dev['region'], dev['zone'],
                                   _bracket(dev['ip']), dev['port'],
                                   dev['device'])
