# Owns the checks every storage server (account, container) applies to a backend request
# (Swift's request_helpers/constraints rules, swift-catalog.md 5):
# - the path is /<device>/<partition>/<account>[/<container>[/<object>]]; a device or
#   partition that is empty, '.', '..' or contains '/' is 400;
# - writes carry X-Timestamp; missing or unparseable is 400;
# - the whole path must be UTF-8 without NUL, else 412 "Invalid UTF8 or contains NULL";
# - with mount_check the device must be a mount point, else 507;
# - OPTIONS (any path, even /) is 200 with ``Allow`` (the verbs, sorted) and
#   ``Server: <server_type>/<swift version>``, as Swift's BaseStorageServer answers it;
#   swift-recon --validate-servers reads that Server header.
"""Validation helpers for requests arriving at account/container servers."""

import os
import urllib.parse

from swift.common.constraints import valid_utf8
from swift.common.fs import is_mount
from swift import __version__ as swift_version
from swift.common.swob import HTTPBadRequest, HTTPOk, split_path, wsgi_to_str
from swift.common.timestamp import InvalidTimestamp, Timestamp


class DriveUnavailable(ValueError):
    """The device is not mounted (mount_check) or not a directory.

    :ivar device: device name.
    :ivar path: ``<devices>/<device>``.
    """

    def __init__(self, device, path, reason):
        super().__init__('%s is %s' % (path, reason))
        self.device = device
        self.path = path


def validate_device_partition(device, partition):
    """:raises ValueError: for an empty/'.'/'..'/slashed device or partition."""
    if not device or '/' in device or device in ('.', '..'):
        raise ValueError('Invalid device: %s' % urllib.parse.quote(device or ''))
    if not partition or '/' in partition or partition in ('.', '..'):
        raise ValueError('Invalid partition: %s' % urllib.parse.quote(partition or ''))


def split_and_validate_path(req, minsegs, maxsegs=None, rest_with_last=False):
    """Split the request path and check device/partition.

    :returns: list of segments (WSGI strs, None for absent ones).
    :raises HTTPBadRequest: ``Invalid path: ...`` / ``Invalid device: ...``.
    """
    try:
        segs = split_path(req.path_info, minsegs, maxsegs, rest_with_last)
        validate_device_partition(segs[0], segs[1])
    except ValueError as err:
        raise HTTPBadRequest(request=req, content_type='text/plain', body=str(err).encode())
    return segs


def valid_timestamp(req):
    """The request's X-Timestamp.

    :raises HTTPBadRequest: ``Missing X-Timestamp header`` or
        ``Invalid X-Timestamp header``.
    """
    value = req.headers.get('X-Timestamp')
    if value is None:
        raise HTTPBadRequest(request=req, content_type='text/plain',
                             body=b'Missing X-Timestamp header')
    try:
        return Timestamp(value)
    except InvalidTimestamp:
        raise HTTPBadRequest(request=req, content_type='text/plain',
                             body=b'Invalid X-Timestamp header')


def path_is_valid_utf8(req):
    """True when PATH_INFO is UTF-8 without NUL (else answer 412)."""
    return valid_utf8(req.path_info)


def check_drive(devices, device, mount_check):
    """Return ``<devices>/<device>`` if usable.

    :raises DriveUnavailable: not mounted (mount_check) or not a directory.
    """
    path = os.path.join(devices, device)
    if mount_check and not is_mount(path):
        raise DriveUnavailable(device, path, 'not mounted')
    if not mount_check and not os.path.isdir(path):
        raise DriveUnavailable(device, path, 'not a directory')
    return path


def is_sys_or_user_meta(server_type, key):
    """True for ``X-<type>-Meta-*`` and ``X-<type>-Sysmeta-*`` headers."""
    lower = key.lower()
    return lower.startswith('x-%s-meta-' % server_type) or \
        lower.startswith('x-%s-sysmeta-' % server_type)


def native(value):
    """WSGI str -> native str (``None`` stays None).

    A value that is not a WSGI str (a header name that title-casing pushed past
    latin-1, e.g. ``\xff`` -> ``\u0178``) is returned as it is; the metadata checks
    then judge it like any other text.
    """
    if value is None:
        return None
    try:
        return wsgi_to_str(value)
    except UnicodeEncodeError:
        return value


def as_referer(req):
    """``'<METHOD> <url>'`` as Swift puts in backend Referer headers."""
    return '%s %s' % (req.method, req.url)


def handles_options(replication_server):
    """True when a storage server answers OPTIONS: Swift leaves it out of a
    replication-only server (``replication_server = true``) but not of the others."""
    return replication_server is not True


def options_response(req, server_type, allowed_methods):
    """Swift's storage-server answer to OPTIONS.

    :param server_type: e.g. ``'account-server'``, ``'container-server'``.
    :param allowed_methods: the verbs the server dispatches (OPTIONS is added).
    :returns: a 200 response with ``Allow: DELETE, GET, ...`` (sorted, comma-space
        separated) and ``Server: <server_type>/<swift.__version__>``, empty body.
    """
    allowed = sorted(set(allowed_methods) | {'OPTIONS'})
    return HTTPOk(request=req, headers={'Allow': ', '.join(allowed),
                                        'Server': '%s/%s' % (server_type, swift_version)})
