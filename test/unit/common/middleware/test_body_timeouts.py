"""A client too slow with its body (the server's client_timeout passes while a
middleware reads it) gets 408, never a 500 and a traceback, and nothing is stored."""

from swift.common.swob import Request
from test.unit.common.middleware import test_bulk, test_formpost, test_slo_put


class TimingOutInput:
    """wsgi.input holding only ``data`` of a longer body: like eventlet's, a read
    asking for more than has arrived times out."""

    def __init__(self, data=b''):
        self.data = data

    def read(self, size=-1):
        if size is None or size < 0 or size > len(self.data):
            raise TimeoutError('timed out')
        chunk, self.data = self.data[:size], self.data[size:]
        return chunk

    readline = read


def test_slo_manifest_put():
    mw, app = test_slo_put.make()
    req = Request.blank('/v1/a/c/m?multipart-manifest=put', method='PUT',
                        headers={'Content-Length': '100'},
                        environ={'wsgi.input': TimingOutInput(b'[{"path":')})
    resp = req.get_response(mw)
    assert resp.status_int == 408
    assert '/v1/a/c/m' not in app.objects


def test_bulk_delete_reports_408():
    mw, _app = test_bulk.make()
    req = Request.blank('/v1/a?bulk-delete', method='POST',
                        headers={'Content-Length': '100', 'Accept': 'application/json'},
                        environ={'wsgi.input': TimingOutInput(b'/c/o1\n/c/')})
    resp = req.get_response(mw)
    assert resp.status_int == 200            # the report carries the verdict
    assert b'"Response Status": "408 Request Timeout"' in resp.body


def test_formpost_cut_short():
    mw, app = test_formpost.make()
    body = test_formpost.multipart(test_formpost.form_fields(), [test_formpost.FILE])
    req = Request.blank(test_formpost.PATH, method='POST', headers={
        'Content-Type': 'multipart/form-data; boundary=%s' % test_formpost.BOUNDARY,
        'Content-Length': str(len(body))},
        environ={'wsgi.input': TimingOutInput(body[:len(body) // 2])})
    resp = req.get_response(mw)
    assert resp.status_int == 408
    assert resp.body.startswith(b'FormPost: client read error')
    assert not app.objects
