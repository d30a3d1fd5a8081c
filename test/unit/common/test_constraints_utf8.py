"""valid_utf8: the check behind 412 'Invalid UTF8 or contains NULL' on names/headers."""

import pytest

from swift.common.constraints import valid_utf8


@pytest.mark.parametrize('value', [
    'plain', '', 'caf\u00e9'.encode('utf-8').decode('latin-1'), b'caf\xc3\xa9',
    '\U0001f600'.encode('utf-8').decode('latin-1')])
def test_valid(value):
    assert valid_utf8(value)


@pytest.mark.parametrize('value', [
    b'\xed\xa0\x80',            # an encoded lone high surrogate (U+D800)
    b'\xed\xbf\xbf',            # an encoded lone low surrogate (U+DFFF)
    '\xed\xa0\x80',             # the same as a WSGI (latin-1) string
    b'a\x00b', 'a\x00b',        # NUL
    b'\xff', b'caf\xe9',        # not UTF-8 at all
])
def test_invalid(value):
    assert not valid_utf8(value)
