"""tempauth's half of S3 authentication (``s3api.auth_details``): the signature is
checked with the user's key, the access key in the path becomes the account id, and
a bad signature or unknown user is a 401 without calling the app."""

from swift.common.middleware.tempauth import TempAuth
from swift.common.swob import Request
from test.helpers.fake_swift import FakeSwift


def _auth():
    swift = FakeSwift()
    return TempAuth(swift, {'user_test_tester': 'testing .admin',
                            'user_test_tester3': 'testing3'}), swift


def _details(access_key, valid_key, seen):
    def check(key):
        seen.append(key)
        return key == valid_key
    return {'access_key': access_key, 'signature': 'sig', 'string_to_sign': b'x',
            'check_signature': check}


def test_good_signature_swaps_account_and_authorizes():
    auth, swift = _auth()
    seen = []
    req = Request.blank('/v1/test:tester/bucket/obj', environ={
        's3api.auth_details': _details('test:tester', 'testing', seen)})
    swift.put_object('/v1/AUTH_test/bucket/obj', b'data')
    resp = req.get_response(auth)
    assert (resp.status_int, resp.body) == (200, b'data')
    assert seen == ['testing']
    env = swift.calls[-1].env
    assert env['PATH_INFO'] == '/v1/AUTH_test/bucket/obj'
    assert env['REMOTE_USER'] == 'test,test:tester,AUTH_test'
    assert env['swift.authorize'] == auth.authorize


def test_bad_signature_is_401():
    auth, swift = _auth()
    seen = []
    req = Request.blank('/v1/test:tester/bucket', environ={
        's3api.auth_details': _details('test:tester', 'other', seen)})
    assert req.get_response(auth).status_int == 401
    assert seen == ['testing'] and swift.calls == []


def test_unknown_user_is_401_without_a_check():
    auth, swift = _auth()
    seen = []
    req = Request.blank('/v1/x:y/bucket', environ={
        's3api.auth_details': _details('x:y', 'testing', seen)})
    assert req.get_response(auth).status_int == 401
    assert seen == [] and swift.calls == []


def test_non_admin_user_is_not_owner():
    auth, swift = _auth()
    req = Request.blank('/v1/test:tester3/bucket', environ={
        's3api.auth_details': _details('test:tester3', 'testing3', [])})
    assert req.get_response(auth).status_int == 403   # authenticated, no ACL
