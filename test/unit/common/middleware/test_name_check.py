import pytest

from swift.common.config import ConfigError
from swift.common.middleware import name_check
from swift.common.swob import Request
from swift.proxy.controllers.info import InfoRegistry
from test.helpers.fake_swift import FakeSwift


def make(**conf):
    app = FakeSwift()
    app.info_registry = InfoRegistry()
    return name_check.filter_factory({}, **conf)(app), app


def get(mw, path):
    return Request.blank(path).get_response(mw)


@pytest.mark.parametrize('char', list('\'"`<>'))
def test_default_forbidden_chars(char):
    mw, app = make()
    resp = get(mw, '/v1/a/c/o%s' % char.encode().hex().upper().join(['%', '']))
    assert resp.status_int == 400
    assert resp.body == (b'Object/Container/Account name contains forbidden chars '
                         b'from \'"`<>')
    assert app.calls == []


def test_quoted_forbidden_char_is_unquoted_first():
    mw, _app = make()
    assert get(mw, '/v1/a/c/o%3C').status_int == 400
    assert get(mw, '/v1/a/c/o%20x').status_int == 404   # passed down (nothing stored)


def test_length_limit_counts_characters():
    mw, app = make()
    path = '/v1/a/c/' + 'o' * (255 - len('/v1/a/c/'))
    assert get(mw, path).status_int == 404
    resp = get(mw, path + 'o')
    assert resp.status_int == 400
    assert resp.body == (b'Object/Container/Account name longer than the allowed '
                         b'maximum 255')
    # a 2-byte UTF-8 character counts once (Swift measures the unquoted str)
    utf8_path = '/v1/a/c/' + '\u00e9' * (255 - len('/v1/a/c/'))
    assert get(mw, utf8_path).status_int == 404


@pytest.mark.parametrize('path', ['/v1/a/c/.', '/v1/a/c/..', '/v1/a/./o',
                                  '/v1/a/c/../o'])
def test_default_regexp_rejects_dot_segments(path):
    mw, _app = make()
    resp = get(mw, path)
    assert resp.status_int == 400
    assert resp.body == (b'Object/Container/Account name contains a forbidden '
                         b'substring from regular expression /\\./|/\\.\\./|/\\.$|'
                         b'/\\.\\.$')


def test_dots_inside_names_are_fine():
    mw, _app = make()
    for path in ('/v1/a/c/.hidden', '/v1/a/c/o.', '/v1/a/c/a..b'):
        assert get(mw, path).status_int == 404, path


def test_custom_options_and_empty_regexp():
    mw, _app = make(forbidden_chars='!', maximum_length='20', forbidden_regexp='')
    assert get(mw, '/v1/a/c/o!').body.endswith(b'forbidden chars from !')
    assert get(mw, '/v1/a/c/<').status_int == 404
    assert get(mw, '/v1/a/c/.').status_int == 404
    assert get(mw, '/v1/a/c/' + 'x' * 13).status_int == 400


def test_info_registered():
    mw, app = make(maximum_length='300')
    assert app.info_registry.sections['name_check'] == {
        'forbidden_chars': '\'"`<>', 'maximum_length': 300,
        'forbidden_regexp': '/\\./|/\\.\\./|/\\.$|/\\.\\.$'}


def test_bad_config_fails_fast():
    with pytest.raises(ConfigError):
        make(maximum_length='many')
    with pytest.raises(ConfigError):
        make(forbidden_regexp='(')
