# Legacy versioning, object side (Swift 2.38 versioned_writes.legacy), for an object
# PUT or DELETE in a container whose sysmeta names an archive container:
#   * an archived version is named ``<len><name>/<timestamp>``: ``len`` is the byte
#     length of the object name as 3 lowercase hex digits, ``timestamp`` the
#     version's X-Timestamp in Timestamp.internal form (``1700000000.12345``), so a
#     prefix listing of the archive lists one object's versions oldest first;
#   * PUT: the current object (if any) is first copied into the archive; then the
#     client's PUT runs;
#   * DELETE, stack mode (X-Versions-Location): the newest archived version is copied
#     back over the object and removed from the archive (the client's DELETE is
#     redirected to it); with no archived version the object is simply deleted;
#   * DELETE, history mode (X-History-Location): the current object is archived, a
#     delete marker (0 bytes, Content-Type
#     ``application/x-deleted;swift_versions_deleted=1``, named with the time of the
#     delete) is written to the archive, then the object is deleted;
#   * the client must be allowed to write the versioned container (its write ACL is
#     checked before any backend request, 401/403 otherwise); the archive reads and
#     writes are then made pre-authorised, as Swift does (so a user needs no ACL on
#     the archive itself);
#   * a 4xx from an archive step (missing archive container, name too long, a source
#     bigger than max_file_size or without a length...) -> 412 and the client's
#     write does not happen; any other failure -> 503;
#   * copies read the object with ``?symlink=get`` and below slo/dlo, so a symlink,
#     an SLO manifest or a DLO manifest is versioned as itself, not as its content
#     (an SLO manifest's Content-Type gets ``swift_bytes=<size>`` back so listings
#     show the large object's size).
"""Object PUT/DELETE of legacy object versioning."""

import json
from typing import Iterator, Optional

from swift.common.http_status import HTTP_NOT_FOUND, is_client_error, is_success
from swift.common.request_helpers import (IterReader, close_if_possible,
                                          copy_header_subset, make_subrequest)
from swift.common.swob import (HTTPPreconditionFailed, HTTPRequestEntityTooLarge,
                               HTTPServerError, HTTPServiceUnavailable, Request,
                               Response, bytes_to_wsgi, parse_http_date, wsgi_quote)
from swift.common.timestamp import Timestamp

DELETE_MARKER_CONTENT_TYPE = 'application/x-deleted;swift_versions_deleted=1'
SWIFT_SOURCE = 'VW'
# Response headers of a source GET that a copy PUT must not carry: its own
# timestamp (the copy gets a new one), backend details of the source's container
# (policy index...), and response-only headers.
NOT_COPIED = frozenset((
    'x-timestamp', 'date', 'last-modified', 'accept-ranges', 'content-range',
    'content-length', 'transfer-encoding', 'connection', 'x-trans-id',
    'x-openstack-request-id', 'content-location', 'www-authenticate', 'x-put-timestamp'))


class EarlyResponse(Exception):
    """The request is answered before the client's own write runs (e.g. the auth
    hook's denial, which need not be an HTTPException).

    :ivar response: the swob Response to send.
    """

    def __init__(self, response):
        super().__init__(response.status)
        self.response = response


class ListingError(Exception):
    """Listing the archive failed with a server error (-> 500).

    :ivar status: HTTP status of the listing.
    """

    def __init__(self, status):
        super().__init__(status)
        self.status = status


class ListingNotFound(ListingError):
    """The archive container does not exist (no versions)."""


def archive_prefix(object_name: str) -> str:
    """``<3 hex digits of the byte length><name>/`` for a WSGI-str object name."""
    return '%03x%s/' % (len(object_name), object_name)


def archive_name(object_name: str, timestamp) -> str:
    """The archive object name of the version of ``object_name`` written at
    ``timestamp`` (float seconds, or a str/Timestamp X-Timestamp)."""
    return archive_prefix(object_name) + Timestamp(timestamp).internal


def source_timestamp(resp: Response) -> Timestamp:
    """The version timestamp of a source GET: X-Timestamp, else Last-Modified.

    :raises HTTPServiceUnavailable: no valid one (cannot name the version).
    """
    value = resp.headers.get('X-Timestamp')
    if value:
        try:
            return Timestamp(value)
        except ValueError:
            pass
    seconds = parse_http_date(resp.headers.get('Last-Modified'))
    if seconds is None:
        raise HTTPServiceUnavailable()
    return Timestamp(seconds)


class LegacyVersioning:
    """The object operations (see the module doc).

    :param app: the WSGI app below the filter.
    :param clock: Clock (delete marker names use its time()).
    :param max_file_size: bytes: bigger sources are not copied (412, as Swift).
    """

    def __init__(self, app, *, clock, max_file_size):
        self.app = app
        self.clock = clock
        self.max_file_size = max_file_size

    # -- building blocks
    def pre_authed(self, req: Request, method: str, path: str, headers=None,
                   query: str = '') -> Request:
        """A subrequest on ``req``'s behalf that the auth hook lets through (Swift's
        make_pre_authed_request); ``path`` is an unquoted WSGI str."""
        sub = make_subrequest(req.environ, method=method, path=path, headers=headers,
                              swift_source=SWIFT_SOURCE, query_string=query)
        sub.environ['swift.authorize'] = lambda _req: None
        sub.environ['swift.authorize_override'] = True
        sub.environ['REMOTE_USER'] = '.wsgi.pre_authed'
        return sub

    def authorize_write(self, req: Request, container_info: dict) -> None:
        """Check the client may write the versioned container (its write ACL).

        :raises EarlyResponse: the auth hook's denial (401/403).
        """
        authorize = req.environ.get('swift.authorize')
        if not authorize:
            return
        # the auth hook reads the ACL from the request, as the proxy sets it
        req.acl = container_info.get('write_acl')  # type: ignore[attr-defined]
        denial = authorize(req)
        if denial:
            raise EarlyResponse(denial)

    @staticmethod
    def check_response(req: Request, resp: Response) -> None:
        """Nothing for a 2xx; else close ``resp`` and raise.

        :raises HTTPPreconditionFailed: a 4xx (missing container, no access...).
        :raises HTTPServiceUnavailable: any other failure (could not version).
        """
        if is_success(resp.status_int):
            return
        close_if_possible(resp.app_iter)
        if is_client_error(resp.status_int):
            raise HTTPPreconditionFailed(request=req)
        raise HTTPServiceUnavailable(request=req)

    def get_source(self, req: Request, path: str) -> Response:
        """GET ``path`` itself (a symlink as a link, X-Newest), pre-authorised (a
        writer without read access could version before the middleware existed).

        :returns: the Response (any status); a 413 Response when too big (or
            without a length: a chunked large object).
        """
        get_req = self.pre_authed(req, 'GET', path, headers={'X-Newest': 'True'},
                                  query='symlink=get')
        resp = get_req.get_response(self.app)
        if is_success(resp.status_int) and (
                resp.content_length is None or resp.content_length > self.max_file_size):
            close_if_possible(resp.app_iter)
            return HTTPRequestEntityTooLarge(request=req)
        return resp

    def put_copy(self, req: Request, path: str, source: Response) -> Response:
        """PUT the body and headers of ``source`` at ``path`` (pre-authorised).

        :returns: the PUT's Response; ``source`` is closed.
        """
        put_req = self.pre_authed(req, 'PUT', path)
        copy_header_subset(source, put_req, lambda key: (
            key.lower() not in NOT_COPIED and not key.lower().startswith('x-backend-')))
        slo_size = put_req.headers.get('X-Object-Sysmeta-Slo-Size')
        if slo_size:
            put_req.headers['Content-Type'] = '%s; swift_bytes=%s' % (
                put_req.headers.get('Content-Type', 'application/octet-stream'), slo_size)
            put_req.environ['swift.content_type_overridden'] = True
        reader = IterReader(source.app_iter)
        put_req.environ['wsgi.input'] = reader
        put_req.content_length = source.content_length
        try:
            put_resp = put_req.get_response(self.app)
            if is_success(put_resp.status_int):
                reader.read()   # finish the source normally (logged 200, not 499)
        finally:
            close_if_possible(source.app_iter)
        return put_resp

    # -- PUT and history DELETE
    def copy_current(self, req: Request, container_info: dict, archive: str,
                     version: str, account: str, obj: str) -> None:
        """Archive the current object of ``req`` (nothing when there is none).

        :raises EarlyResponse: the client may not write the container.
        :raises HTTPException: 412/503 (see the module doc).
        """
        self.authorize_write(req, container_info)
        source = self.get_source(req, req.path_info)
        if source.status_int == HTTP_NOT_FOUND:
            close_if_possible(source.app_iter)
            return
        self.check_response(req, source)
        try:
            stamp = source_timestamp(source)
        except HTTPServiceUnavailable:
            close_if_possible(source.app_iter)
            raise
        path = '/%s/%s/%s/%s' % (version, account, archive, archive_name(obj, stamp))
        req.environ['QUERY_STRING'] = ''
        put_resp = self.put_copy(req, path, source)
        self.check_response(req, put_resp)
        close_if_possible(put_resp.app_iter)

    def handle_put(self, req, container_info, archive, version, account, obj):
        """Object PUT: archive the current version; returns the request to run
        next (the client's PUT)."""
        self.copy_current(req, container_info, archive, version, account, obj)
        return req

    def handle_delete_push(self, req, container_info, archive, version, account, obj):
        """History-mode DELETE: archive the current version and write a delete
        marker; returns the request to run next (the client's DELETE)."""
        self.copy_current(req, container_info, archive, version, account, obj)
        path = '/%s/%s/%s/%s' % (version, account, archive,
                                 archive_name(obj, self.clock.time()))
        marker_req = self.pre_authed(req, 'PUT', path, headers={
            # the swift_* parameter makes it ours: users cannot set it on a PUT
            'Content-Type': DELETE_MARKER_CONTENT_TYPE, 'Content-Length': '0',
            'X-Auth-Token': req.headers.get('X-Auth-Token')})
        marker_req.environ['swift.content_type_overridden'] = True
        marker_resp = marker_req.get_response(self.app)
        self.check_response(req, marker_resp)
        close_if_possible(marker_resp.app_iter)
        return req

    # -- stack DELETE
    def listing(self, req: Request, version: str, account: str, archive: str,
                prefix: str) -> Iterator[dict]:
        """Archive entries named ``prefix...``, newest first (pages of reverse JSON
        listings, pre-authorised).

        :raises HTTPPreconditionFailed: a 4xx other than 404 on the listing.
        :raises HTTPServerError: a server error on the listing (500).
        """
        try:
            yield from self._listing_items(req, version, account, archive, prefix)
        except ListingNotFound:
            return
        except ListingError:
            raise HTTPServerError(request=req)

    def _listing_items(self, req, version, account, archive, prefix):
        marker = ''
        while True:
            query = 'format=json&prefix=%s&marker=%s&reverse=on' % (
                wsgi_quote(prefix, safe=''), wsgi_quote(marker, safe=''))
            list_req = self.pre_authed(req, 'GET', '/%s/%s/%s' % (version, account,
                                                                  archive), query=query)
            resp = list_req.get_response(self.app)
            if not is_success(resp.status_int):
                close_if_possible(resp.app_iter)
                if resp.status_int == HTTP_NOT_FOUND:
                    raise ListingNotFound(resp.status_int)
                if is_client_error(resp.status_int):
                    raise HTTPPreconditionFailed(request=req)
                raise ListingError(resp.status_int)
            body = resp.body
            if not body:
                return
            try:
                page = json.loads(body)
            except ValueError:
                raise ListingError(resp.status_int)
            if not page:
                return
            if not isinstance(page, list) or not all(
                    isinstance(item, dict) and isinstance(item.get('name'), str)
                    for item in page):
                raise ListingError(resp.status_int)    # not a container listing
            yield from page
            marker = bytes_to_wsgi(page[-1]['name'].encode('utf-8'))

    def restore(self, req, archive, version, account, container, obj,
                archived_name) -> Optional[str]:
        """Copy the archived version ``archived_name`` back over the object.

        :returns: the archived version's path, or None when it is gone (404).
        :raises HTTPException: 412/503 on failures.
        """
        get_path = '/%s/%s/%s/%s' % (version, account, archive, archived_name)
        source = self.get_source(req, get_path)
        if source.status_int == HTTP_NOT_FOUND:
            close_if_possible(source.app_iter)
            return None
        self.check_response(req, source)
        put_path = '/%s/%s/%s/%s' % (version, account, container, obj)
        put_resp = self.put_copy(req, put_path, source)
        self.check_response(req, put_resp)
        close_if_possible(put_resp.app_iter)
        return get_path

    def handle_delete_pop(self, req, container_info, archive, version, account,
                          container, obj):
        """Stack-mode DELETE (see the module doc); returns the request to run next:
        the client's DELETE, or a DELETE of the archived copy just restored."""
        items = self.listing(req, version, account, archive, archive_prefix(obj))
        token = {'X-Auth-Token': req.headers.get('X-Auth-Token')}
        authorized = False
        for item in items:
            if not authorized:
                self.authorize_write(req, container_info)
                authorized = True
            name = bytes_to_wsgi(item['name'].encode('utf-8'))
            if item.get('content_type') == DELETE_MARKER_CONTENT_TYPE:
                marker_path = self._pop_past_marker(req, items, archive, version,
                                                    account, container, obj, name)
                if marker_path:
                    req = self.pre_authed(req, 'DELETE', marker_path, headers=token)
            else:
                req.environ['QUERY_STRING'] = ''
                restored = self.restore(req, archive, version, account, container,
                                        obj, name)
                if not restored:
                    continue    # gone meanwhile: try the next older one
                # the client's DELETE now removes the restored copy from the archive
                req = self.pre_authed(req, 'DELETE', restored, headers=token)
            req.headers.pop('X-If-Delete-At', None)    # not meant for the old copy
            break
        return req

    def _pop_past_marker(self, req, items, archive, version, account, container, obj,
                         marker_name) -> Optional[str]:
        """The newest archive entry is a delete marker (history mode was used).

        With a current object, None: the client's DELETE goes through (back to the
        deleted state). Else the newest older version (if any) is restored and
        removed from the archive, and the marker's path is returned for deletion.
        """
        token = {'X-Auth-Token': req.headers.get('X-Auth-Token')}
        head_req = self.pre_authed(req, 'HEAD', req.path_info,
                                   headers=dict(token, **{'X-Newest': 'True'}))
        head_resp = head_req.get_response(self.app)
        close_if_possible(head_resp.app_iter)
        if head_resp.status_int != HTTP_NOT_FOUND:
            self.check_response(req, head_resp)
            return None
        for older in items:
            if older.get('content_type') == DELETE_MARKER_CONTENT_TYPE:
                break   # nothing to restore
            req.environ['QUERY_STRING'] = ''
            restored = self.restore(req, archive, version, account, container, obj,
                                    bytes_to_wsgi(older['name'].encode('utf-8')))
            if not restored:
                continue
            del_resp = self.pre_authed(req, 'DELETE', restored,
                                       headers=token).get_response(self.app)
            close_if_possible(del_resp.app_iter)
            if del_resp.status_int != HTTP_NOT_FOUND:
                # a 404: it lived long enough to be copied, fine
                self.check_response(req, del_resp)
            break
        return '/%s/%s/%s/%s' % (version, account, archive, marker_name)
