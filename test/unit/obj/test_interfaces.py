"""The real DiskFile classes satisfy the storage Protocols other components code to."""

import inspect

from swift.obj import interfaces
from swift.obj.diskfile import DiskFile, DiskFileManager, DiskFileReader, DiskFileWriter
from test.unit.obj.common import make_manager, put_object

PAIRS = [(DiskFileManager, interfaces.DiskFileManagerProtocol),
         (DiskFile, interfaces.DiskFileProtocol),
         (DiskFileWriter, interfaces.DiskFileWriterProtocol),
         (DiskFileReader, interfaces.DiskFileReaderProtocol)]


def _methods(protocol):
    return {name for name, value in vars(protocol).items()
            if callable(value) and not name.startswith('_') or name == '__iter__'}


def test_every_protocol_method_exists_with_compatible_parameters():
    for cls, protocol in PAIRS:
        for name in _methods(protocol):
            assert hasattr(cls, name), (cls.__name__, name)
            wanted = list(inspect.signature(getattr(protocol, name)).parameters)
            have = list(inspect.signature(getattr(cls, name)).parameters)
            assert have[:len(wanted)] == wanted, (cls.__name__, name, have, wanted)


def test_live_objects_pass_isinstance(tmp_path):
    manager = make_manager(tmp_path)
    assert isinstance(manager, interfaces.DiskFileManagerProtocol)
    df = put_object(manager)
    assert isinstance(df, interfaces.DiskFileProtocol)
    with df.create(size=1) as writer:
        assert isinstance(writer, interfaces.DiskFileWriterProtocol)
    with df.open():
        reader = df.reader()
    assert isinstance(reader, interfaces.DiskFileReaderProtocol)
    reader.close()
