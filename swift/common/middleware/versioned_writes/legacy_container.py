# Legacy versioning, container side (Swift 2.38 versioned_writes.legacy):
#   * ``X-Versions-Location: <archive>`` (stack mode) or ``X-History-Location:
#     <archive>`` (history mode) on a container PUT/POST is stored as container
#     sysmeta ``X-Container-Sysmeta-Versions-Location`` (the value as given, i.e.
#     URL-quoted) and ``X-Container-Sysmeta-Versions-Mode`` (``stack``|``history``);
#     the client header itself is sent to the container server empty, so the only
#     source of truth is sysmeta;
#   * both headers non-empty -> 400 ``Only one of x-versions-location or
#     x-history-location may be specified``; an empty one next to a set one is ignored;
#   * an empty value, ``X-Remove-Versions-Location`` or ``X-Remove-History-Location``
#     unset versioning (sysmeta emptied); a value given in the same request wins over a
#     removal;
#   * a value that is not a container name -> 412 ``Container name cannot be empty`` /
#     ``Container name cannot contain slashes``; with ``allow_versioned_writes = false``
#     a non-empty value on PUT/POST -> 412 ``Versioned Writes is disabled``;
#   * container responses (HEAD/GET/...) carry the client header matching the stored
#     mode, built from sysmeta (gatekeeper above removes the sysmeta itself).
# Swift does not check here that the archive container exists: a missing archive
# shows up as 412 on the first write that needs it (see legacy_object.py).
"""Container requests of legacy object versioning."""

from swift.common.header_key_dict import HeaderKeyDict
from swift.common.swob import HTTPBadRequest, HTTPPreconditionFailed, Request

CLIENT_VERSIONS_LOC = 'x-versions-location'
CLIENT_HISTORY_LOC = 'x-history-location'
SYSMETA_VERSIONS_LOC = 'x-container-sysmeta-versions-location'
SYSMETA_VERSIONS_MODE = 'x-container-sysmeta-versions-mode'
REMOVE_HEADERS = ('x-remove-versions-location', 'x-remove-history-location')
STACK_MODE = 'stack'
HISTORY_MODE = 'history'


def _text_error(error_class, req, message):
    return error_class(request=req, content_type='text/plain',
                       body=message.encode('utf-8'))


def check_container_format(req: Request, name: str) -> str:
    """Swift's check_container_format for a header value (still URL-quoted).

    :returns: ``name`` unchanged.
    :raises HTTPPreconditionFailed: empty name or a name containing '/' (412).
    """
    if not name:
        raise _text_error(HTTPPreconditionFailed, req, 'Container name cannot be empty')
    if '/' in name:
        raise _text_error(HTTPPreconditionFailed, req,
                          'Container name cannot contain slashes')
    return name


def _drop_empty_duplicate(req: Request) -> None:
    """Both client headers given: keep the non-empty one; both set is 400."""
    headers = req.headers
    if CLIENT_VERSIONS_LOC not in headers or CLIENT_HISTORY_LOC not in headers:
        return
    if not headers[CLIENT_HISTORY_LOC]:
        del headers[CLIENT_HISTORY_LOC]     # defer to the versions location entirely
    elif headers[CLIENT_VERSIONS_LOC]:
        raise _text_error(HTTPBadRequest, req, 'Only one of %s or %s may be specified'
                          % (CLIENT_VERSIONS_LOC, CLIENT_HISTORY_LOC))
    else:
        del headers[CLIENT_VERSIONS_LOC]    # history set, versions present but empty


def translate_container_request(req: Request, enabled: bool) -> None:
    """Rewrite a container request's versioning headers into sysmeta, in place.

    :param req: the container request (any method; Swift translates them all).
    :param enabled: the middleware's ``allow_versioned_writes`` value (set).
    :raises HTTPBadRequest: both locations given (400).
    :raises HTTPPreconditionFailed: bad container name, or versioning disabled (412).
    """
    _drop_empty_duplicate(req)
    headers = req.headers
    if CLIENT_VERSIONS_LOC in headers or CLIENT_HISTORY_LOC in headers:
        if CLIENT_VERSIONS_LOC in headers:
            value, mode = headers[CLIENT_VERSIONS_LOC], STACK_MODE
        else:
            value, mode = headers[CLIENT_HISTORY_LOC], HISTORY_MODE
        if not value:
            # an empty value means the same as X-Remove-Versions-Location
            headers['X-Remove-Versions-Location'] = 'x'
        elif not enabled and req.method in ('PUT', 'POST'):
            raise _text_error(HTTPPreconditionFailed, req,
                              'Versioned Writes is disabled')
        else:
            headers[SYSMETA_VERSIONS_LOC] = check_container_format(req, value)
            headers[SYSMETA_VERSIONS_MODE] = mode
            # the container server keeps no copy of the client header: sysmeta only
            # (our container server also stores X-History-Location: empty it too)
            headers[CLIENT_VERSIONS_LOC] = ''
            if CLIENT_HISTORY_LOC in headers:
                headers[CLIENT_HISTORY_LOC] = ''
            for name in REMOVE_HEADERS:     # setting wins over removing
                headers.pop(name, None)
    if any(headers.get(name) for name in REMOVE_HEADERS):
        headers.update({CLIENT_VERSIONS_LOC: '', SYSMETA_VERSIONS_LOC: '',
                        SYSMETA_VERSIONS_MODE: ''})
        for name in REMOVE_HEADERS:
            headers.pop(name, None)


def add_client_location(headers: HeaderKeyDict) -> None:
    """Add X-Versions-Location or X-History-Location from the versioning sysmeta of
    a container response's ``headers`` (in place; nothing when unset)."""
    location = headers.get(SYSMETA_VERSIONS_LOC)
    if not location:
        return
    if headers.get(SYSMETA_VERSIONS_MODE) == HISTORY_MODE:
        headers['X-History-Location'] = location
    else:
        headers['X-Versions-Location'] = location
