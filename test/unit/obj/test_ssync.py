"""The sans-I/O SSYNC protocol: message tables in both directions, the transition
table, chunk framing, and a fuzz harness that admits only our declared errors."""

import random

import pytest

from swift.common.timestamp import Timestamp
from swift.obj import ssync
from swift.obj.ssync import Event, State

T = Timestamp('1700000000.00000')
HASH = '9d41d8cd98f00b204e9800998ecf0abc'

OFFERS = [
    # (kwargs, wire)
    (dict(ts_data=T), HASH + ' 1700000000.00000'),
    (dict(ts_data=T, ts_meta=Timestamp('1700000000.00002')),
     HASH + ' 1700000000.00000 m:2'),
    (dict(ts_data=T, ts_meta=Timestamp('1700000000.00002', offset=3)),
     HASH + ' 1700000000.00000 m:2__3'),
    (dict(ts_data=T, ts_meta=Timestamp('1700000001.00000'),
          ts_ctype=Timestamp('1700000000.50000')),
     HASH + ' 1700000000.00000 m:186a0,t:c350'),
    (dict(ts_data=T, durable=False), HASH + ' 1700000000.00000 durable:False'),
    (dict(ts_data=Timestamp('1700000000.00000', offset=1)),
     HASH + ' 1700000000.00000_0000000000000001'),
]


@pytest.mark.parametrize('kwargs,wire', OFFERS)
def test_offer_both_directions(kwargs, wire):
    assert ssync.encode_offer(HASH, **kwargs) == wire.encode('ascii')
    offer = ssync.decode_offer(wire.encode('ascii') + b'\r\n')
    assert offer.object_hash == HASH
    assert offer.ts_data == kwargs['ts_data']
    assert offer.ts_meta == kwargs.get('ts_meta', kwargs['ts_data'])
    assert offer.ts_ctype == kwargs.get('ts_ctype', kwargs['ts_data'])
    assert offer.durable == kwargs.get('durable', True)


def test_offer_ignores_unknown_extras():
    offer = ssync.decode_offer(HASH.encode() + b' 1700000000.00000 x:1,m:5,junk')
    assert offer.ts_meta == Timestamp('1700000000.00005')


@pytest.mark.parametrize('line', [b'', b'onlyhash', b'h notatimestamp', b'\xff\xfe 1'])
def test_bad_offer_is_protocol_error(line):
    with pytest.raises(ssync.SsyncProtocolError):
        ssync.decode_offer(line)


WANTS = [
    # (offer kwargs, local, expected letters)
    (dict(ts_data=T), {}, 'dm'),
    (dict(ts_data=T), {'ts_data': T, 'ts_meta': T, 'ts_ctype': T}, ''),
    # newer data also counts as newer meta (Swift's rule; no POST follows without .meta)
    (dict(ts_data=Timestamp(T, delta=5)), {'ts_data': T, 'ts_meta': T, 'ts_ctype': T},
     'dm'),
    (dict(ts_data=T, ts_meta=Timestamp(T, delta=9)),
     {'ts_data': T, 'ts_meta': T, 'ts_ctype': T}, 'm'),
    (dict(ts_data=Timestamp(T, delta=5)), {'ts_data': T}, 'd'),   # local tombstone
    (dict(ts_data=T, ts_meta=Timestamp(T, delta=9), ts_ctype=Timestamp(T, delta=9)),
     {'ts_data': T, 'ts_meta': Timestamp(T, delta=9), 'ts_ctype': T}, 'm'),
    (dict(ts_data=T), {'ts_data': Timestamp(T, delta=5)}, ''),     # local newer
]


@pytest.mark.parametrize('offer_kwargs,local,letters', WANTS)
def test_wants_rules_and_wire(offer_kwargs, local, letters):
    offer = ssync.decode_offer(ssync.encode_offer(HASH, **offer_kwargs))
    wants = ssync.wants_for(offer, local)
    assert bool(wants) == bool(letters)
    if letters:
        wire = ssync.encode_wants(HASH, wants)
        assert wire == ('%s %s' % (HASH, letters)).encode()
        assert ssync.decode_wants(wire) == (HASH, wants)


def test_legacy_wants_line_means_data():
    assert ssync.decode_wants(HASH.encode()) == (HASH, ssync.Wants(data=True))
    assert ssync.decode_wants(b'  \r\n') is None


def test_subrequest_round_trip():
    head = ssync.encode_subrequest('PUT', '/a/c/\u00e9 o', [
        ('Content-Length', '3'), ('X-Object-Meta-K', '\xc3\xa9')])   # WSGI string
    lines = head.split(b'\r\n')
    assert lines[0] == b'PUT /a/c/%C3%A9%20o'
    assert head.endswith(b'\r\n\r\n')
    assert ssync.decode_request_line(lines[0]) == ('PUT', '/a/c/\u00e9 o')
    assert ssync.decode_header_line(lines[2]) == ('x-object-meta-k', '\xc3\xa9')
    assert lines[2] == b'X-Object-Meta-K: \xc3\xa9'


@pytest.mark.parametrize('line', [b'GET /a/c/o', b'PUT', b'\xff /x'])
def test_bad_request_line(line):
    with pytest.raises(ssync.SsyncProtocolError):
        ssync.decode_request_line(line)


def test_error_lines():
    line = ssync.encode_error(503, 'busy now')
    assert line == b":ERROR: 503 'busy now'\n"
    assert ssync.decode_error(line) == (503, "'busy now'")
    assert ssync.decode_error(b':ERROR: x y') == (0, 'y')
    assert ssync.decode_error(b':MISSING_CHECK: START') is None


# ------------------------------------------------------------------ transitions

HAPPY = [Event.CONNECTED, Event.OFFER_START, Event.OFFER_LINE, Event.OFFER_END,
         Event.WANTS_START, Event.WANTS_LINE, Event.WANTS_END, Event.UPDATES_START,
         Event.UPDATE, Event.UPDATES_END, Event.ACK_START, Event.ACK_END]


def test_happy_path_reaches_done():
    conversation = ssync.Conversation('sender')
    for event in HAPPY:
        conversation.advance(event)
    assert conversation.done


@pytest.mark.parametrize('cut', range(len(HAPPY)))
def test_error_fails_from_any_live_state(cut):
    conversation = ssync.Conversation('sender')
    for event in HAPPY[:cut]:
        conversation.advance(event)
    assert conversation.advance(Event.ERROR) is State.FAILED


def test_error_after_the_end_changes_nothing():
    conversation = ssync.Conversation('receiver')
    for event in HAPPY:
        conversation.advance(event)
    assert conversation.advance(Event.ERROR) is State.DONE
    failed = ssync.Conversation('receiver')
    with pytest.raises(ssync.SsyncProtocolError):
        failed.advance(Event.ACK_END)
    assert failed.advance(Event.ERROR) is State.FAILED


def test_out_of_order_event_names_state_and_event():
    conversation = ssync.Conversation('receiver')
    conversation.advance(Event.CONNECTED)
    with pytest.raises(ssync.SsyncProtocolError) as caught:
        conversation.advance(Event.UPDATES_START)
    assert caught.value.state is State.CONNECTED
    assert caught.value.event is Event.UPDATES_START
    assert conversation.state is State.FAILED


def test_every_table_target_is_reachable_from_new():
    reachable = {State.NEW}
    for _ in range(len(State)):
        reachable |= {target for (state, _), target in ssync.TRANSITIONS.items()
                      if state in reachable}
    assert reachable == set(State) - {State.FAILED}


# ------------------------------------------------------------------ chunk framing

def test_chunk_encoding_and_decoding_in_pieces():
    body = ssync.encode_chunk(b'hello') + ssync.encode_chunk(b'x' * 300) + \
        ssync.LAST_CHUNK
    decoder = ssync.ChunkedDecoder()
    out = b''.join(decoder.feed(body[i:i + 7]) for i in range(0, len(body), 7))
    assert out == b'hello' + b'x' * 300
    assert decoder.finished and decoder.chunk_count == 3
    assert ssync.is_complete_chunked_body(body)
    assert not ssync.is_complete_chunked_body(body[:-2])
    assert not ssync.is_complete_chunked_body(body + b'5\r\n')


def test_empty_chunk_refused():
    with pytest.raises(ValueError):
        ssync.encode_chunk(b'')


@pytest.mark.parametrize('bad', [b'zz\r\nab\r\n', b'2\r\nabXY', b'-1\r\n',
                                 b'1' * 2000])
def test_bad_framing(bad):
    with pytest.raises(ssync.ChunkedEncodingError):
        ssync.ChunkedDecoder().feed(bad)


def test_fuzz_only_declared_errors():
    rng = random.Random(1234)
    seeds = [ssync.encode_offer(HASH, T), ssync.encode_wants(HASH, ssync.Wants(1, 1)),
             ssync.encode_subrequest('DELETE', '/a/c/o', [('X-Timestamp', T.internal)]),
             ssync.encode_chunk(b'abc') + ssync.LAST_CHUNK]
    for _ in range(2000):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        data = bytes(data)
        for parse in (ssync.decode_offer, ssync.decode_wants, ssync.decode_request_line,
                      ssync.decode_header_line, ssync.decode_error,
                      ssync.ChunkedDecoder().feed):
            try:
                parse(data)
            except ssync.SsyncError:
                pass
