"""The restricted unpickler admits Swift's plain pickles and nothing that runs code."""

import os
import pickle

import pytest

from swift.common.header_key_dict import HeaderKeyDict
from swift.common.safe_pickle import UnsafePickleError, safe_loads


@pytest.mark.parametrize('protocol', [0, 2, 4])
def test_plain_values_round_trip(protocol):
    value = {b'name': b'/a/c/o', b'X-Object-Meta-Empty': b'', 'n': 5, 'f': 1.5,
             'l': [1, (2, 3)], 's': {1}, 'fs': frozenset([2]), 'none': None}
    assert safe_loads(pickle.dumps(value, protocol)) == value


def test_header_key_dict_round_trips():
    value = HeaderKeyDict({'x-object-meta-a': 'b'})
    loaded = safe_loads(pickle.dumps(value, 2))
    assert isinstance(loaded, HeaderKeyDict) and loaded['X-Object-Meta-A'] == 'b'


def test_code_running_globals_are_refused():
    class Evil:
        def __reduce__(self):
            return (os.system, ('true',))
    with pytest.raises(UnsafePickleError):
        safe_loads(pickle.dumps(Evil(), 2))


def test_bytes_with_an_argument_is_refused():
    # bytes(N) would allocate N bytes: only the empty call is admitted
    with pytest.raises(UnsafePickleError):
        safe_loads(b'\x80\x02c__builtin__\nbytes\nJ\x00\x00\x00\x40\x85R.')
