"""swift-form-signature: output, signature, and refusals of bad arguments."""

import hashlib
import hmac
import io

import pytest

from swift.cli import form_signature
from test.helpers.fake_clock import FakeClock

NOW = 1700000000


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    code = form_signature.main(list(args), out=out, err=err, clock=FakeClock(NOW))
    return code, out.getvalue(), err.getvalue()


def test_prints_expires_signature_and_sample_form():
    code, out, err = run('/v1/AUTH_test/c/pre_', 'https://r/', '1024', '2', '600', 'key')
    assert (code, err) == (0, '')
    expires = NOW + 600
    message = '/v1/AUTH_test/c/pre_\nhttps://r/\n1024\n2\n%d' % expires
    signature = hmac.new(b'key', message.encode(), hashlib.sha512).hexdigest()
    lines = out.splitlines()
    assert lines[:2] == ['  Expires: %d' % expires, 'Signature: %s' % signature]
    assert ('<form action="/v1/AUTH_test/c/pre_" method="POST" '
            'enctype="multipart/form-data">') in lines
    assert '  <input type="hidden" name="redirect" value="https://r/" />' in lines
    assert '  <input type="hidden" name="signature" value="%s" />' % signature in lines
    assert '  <input type="hidden" name="expires" value="%d" />' % expires in lines
    assert [line for line in lines if 'type="file"' in line] == [
        '  <input type="file" name="file0" />', '  <input type="file" name="file1" />']
    assert lines[-1] == '</form>'


def test_signature_is_accepted_by_formpost():
    from swift.common.middleware.formpost import FormPost
    from swift.common.swob import Request
    from swift.proxy.controllers.info import InfoRegistry
    from test.helpers.fake_swift import FakeSwift
    _code, out, _err = run('/v1/a/c', '', '10', '1', '60', 'key')
    signature = out.splitlines()[1].split()[1]
    app = FakeSwift()
    app.info_registry = InfoRegistry()
    app.register('HEAD', '/v1/a', 204, {'X-Account-Meta-Temp-URL-Key': 'key'})
    app.register('HEAD', '/v1/a/c', 204, {})
    fields = [('max_file_size', '10'), ('max_file_count', '1'),
              ('expires', str(NOW + 60)), ('signature', signature)]
    body = b''.join(b'--B\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                    % (name.encode(), value.encode()) for name, value in fields)
    body += (b'--B\r\nContent-Disposition: form-data; name="f"; filename="x.txt"\r\n'
             b'\r\nhi\r\n--B--\r\n')
    req = Request.blank('/v1/a/c', method='POST', body=body,
                        headers={'Content-Type': 'multipart/form-data; boundary=B'})
    resp = req.get_response(FormPost(app, {}, clock=FakeClock(NOW)))
    assert resp.status_int == 201, resp.body
    assert app.objects['/v1/a/c/x.txt'][1] == b'hi'


def test_empty_redirect_has_no_redirect_input():
    _code, out, _err = run('/v1/a/c', '', '10', '1', '60', 'key')
    assert 'name="redirect"' not in out


def test_wrong_argument_count_prints_usage():
    code, out, err = run('/v1/a/c', 'r')
    assert code == 1
    assert out.startswith('Syntax: swift-form-signature <path> <redirect> '
                          '<max_file_size> <max_file_count> <seconds> <key>')


@pytest.mark.parametrize('args, message', [
    (('/v1/a/c', '', '-1', '1', '60', 'k'),
     'Please use a <max_file_size> value greater than or equal to 0.'),
    (('/v1/a/c', '', 'big', '1', '60', 'k'),
     'Please use a <max_file_size> value greater than or equal to 0.'),
    (('/v1/a/c', '', '1', '0', '60', 'k'), 'Please use a positive <max_file_count> value.'),
    (('/v1/a/c', '', '1', 'x', '60', 'k'), 'Please use a positive <max_file_count> value.'),
    (('/v1/a/c', '', '1', '1', '0', 'k'), 'Please use a positive <seconds> value.'),
    (('/v1/a/c', '', '1', '1', 'soon', 'k'), 'Please use a positive <seconds> value.'),
    (('/v1/a', '', '1', '1', '60', 'k'), '<path> must point to a container at least.'),
    (('/v2/a/c', '', '1', '1', '60', 'k'), '<path> must point to a container at least.'),
    (('v1/a/c', '', '1', '1', '60', 'k'), '<path> must point to a container at least.'),
    (('/v1//c', '', '1', '1', '60', 'k'), '<path> must point to a container at least.'),
])
def test_bad_arguments(args, message):
    code, out, err = run(*args)
    assert code == 1
    assert out == ''
    assert err.splitlines()[0] == message
    assert 'Traceback' not in err
