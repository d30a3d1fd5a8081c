# Owns serving a PasteDeploy app over HTTP (DESIGN.md 5). Rules:
# - the listen socket is bound once, in the parent, before any fork;
# - ``workers = 0`` serves in this process; ``workers = N`` forks N children and the
#   parent only supervises: it restarts a child that dies, and on SIGTERM stops them all
#   at once, on SIGHUP tells them to stop accepting, finish what they serve, and exit;
# - every eventlet use goes through swift.common.concurrency.
"""WSGI serving: :func:`wsgi_main` (console entry), :func:`run_wsgi`, :func:`loadapp`."""

import argparse
import configparser
import errno
import os
import pwd
import signal
import socket
import sys
import time

from swift.common.config import ConfigError, config_number

# Swift's default ports by server (swift-catalog.md 1.1).
DEFAULT_BIND_PORTS = {'proxy-server': 8080, 'object-server': 6200,
                      'container-server': 6201, 'account-server': 6202}
DEFAULT_BACKLOG = 4096            # Swift's listen backlog
DEFAULT_MAX_CLIENTS = 1024        # concurrent requests per worker (green pool size)
DEFAULT_CLIENT_TIMEOUT_S = 60.0   # idle client socket timeout
BIND_TIMEOUT_S = 30.0             # keep retrying a busy address this long (Swift's default)
SIGNAL_POLL_S = 0.2               # how often a worker looks for a noted SIGHUP
RESPAWN_DELAY_S = 1.0             # pause before restarting a dead worker, so a crash loop
                                  # cannot spin the CPU


class WsgiError(Exception):
    """Serving could not start; ``str()`` is the one line shown to the operator."""


class BindError(WsgiError):
    """The listen address could not be bound.

    :ivar address: (ip, port) tuple.
    """

    def __init__(self, message, address):
        super().__init__(message)
        self.address = address


class AppLoadError(WsgiError):
    """PasteDeploy could not build the app from the config file.

    :ivar path: the config file.
    """

    def __init__(self, message, path):
        super().__init__(message)
        self.path = path


def parse_server_args(argv, prog='swift-server'):
    """Parse ``CONFIG [-v] [-t]`` as Swift's WSGI servers do.

    :param argv: argument list without the program name.
    :returns: argparse.Namespace with ``conf_path`` (str), ``verbose`` (bool),
        ``test_config`` (bool).
    :raises SystemExit: (code 2) on bad usage, after printing usage to stderr.
    """
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument('conf_path', metavar='CONFIG')
    parser.add_argument('-v', '--verbose', action='store_true',
                        help='log to console')
    parser.add_argument('-t', '--test-config', action='store_true',
                        help='exit after loading and validating config')
    parser.add_argument('extra', nargs='*', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    # swift-init passes the bare words "once"/"verbose" after the config path
    if 'verbose' in args.extra:
        args.verbose = True
    return args


def load_server_conf(conf_path, app_section):
    """Read ``[DEFAULT]`` merged with ``[app:<app_section>]`` (when present).

    :param conf_path: path to a PasteDeploy ini file (or conf.d directory).
    :param app_section: e.g. 'object-server'.
    :returns: dict of str -> str, with ``__file__`` and ``log_name``.
    :raises ConfigError: unreadable or unparsable file, or no ``[pipeline:main]``/
        ``[app:main]``/``[composite:main]`` for PasteDeploy to load.
    """
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str
    paths = [conf_path]
    if os.path.isdir(conf_path):
        paths = [os.path.join(conf_path, name) for name in sorted(os.listdir(conf_path))
                 if name.endswith('.conf')]
    try:
        found = parser.read(paths)
    except configparser.Error as err:
        raise ConfigError('Error parsing %s: %s' % (conf_path, err), path=conf_path)
    if not found:
        raise ConfigError('Unable to read config from %s' % conf_path, path=conf_path)
    mains = [s for s in parser.sections() if s.split(':', 1)[-1].strip() == 'main']
    if not mains:
        raise ConfigError('No [pipeline:main] or [app:main] section in %s' % conf_path,
                          path=conf_path)
    conf = dict(parser.defaults())
    section = 'app:%s' % app_section
    if parser.has_section(section):
        conf.update(parser.items(section))
    conf.setdefault('log_name', app_section)
    conf['__file__'] = conf_path
    return conf


def _allow_bare_percent_in_paste_configs():
    """Let PasteDeploy read values such as ``fallocate_reserve = 1%``.

    ConfigParser interpolation rejects a bare ``%``; Swift's configs use it (and only
    ``%(name)s`` is meant as interpolation), so values without ``%(`` are taken as
    written. Idempotent.
    """
    from paste.deploy import loadwsgi
    wrapper = loadwsgi.NicerConfigParser.InterpolateWrapper
    if getattr(wrapper, '_swift_bare_percent', False):
        return
    original = wrapper.before_get

    def before_get(self, parser, section, option, value, defaults):
        if '%(' not in value:
            return value
        return original(self, parser, section, option, value, defaults)

    wrapper.before_get = before_get
    wrapper._swift_bare_percent = True


def loadapp(conf_path, global_conf=None, name=None):
    """Build the WSGI app of ``conf_path`` with PasteDeploy.

    :param conf_path: ini file path; ``use = egg:swift#...`` entries resolve through
        the installed ``swift`` distribution's entry points.
    :param global_conf: extra ``[DEFAULT]`` values (override the file's).
    :param name: the app/pipeline name (default 'main').
    :returns: the WSGI callable.
    :raises AppLoadError: with the underlying reason, when any factory fails.
    """
    from paste.deploy import loadapp as paste_loadapp
    _allow_bare_percent_in_paste_configs()
    uri = 'config:%s' % os.path.abspath(conf_path)
    try:
        return paste_loadapp(uri, name=name, global_conf=global_conf)
    except Exception as err:  # any factory error is a config problem for the operator
        raise AppLoadError('Error loading app from %s: %s: %s'
                           % (conf_path, type(err).__name__, err), conf_path)


def bind_socket(conf, app_section='', clock=None):
    """Bind and listen on ``conf['bind_ip']:conf['bind_port']`` (green socket).

    Retries EADDRINUSE for ``bind_timeout`` seconds (default 30) so a restart can take
    over from a server still closing.

    :param conf: server conf dict (``bind_ip`` default 0.0.0.0, ``bind_port`` default
        by ``app_section``, ``backlog`` default 4096, ``bind_timeout`` seconds).
    :returns: listening GreenSocket with SO_REUSEADDR set.
    :raises BindError: the address is unusable or still busy after the timeout.
    :raises ConfigError: bad ``bind_port``/``backlog``.
    """
    from swift.common import concurrency
    clock = clock or _RealSleeper()
    ip = conf.get('bind_ip', '0.0.0.0')
    port = config_number(conf.get('bind_port', DEFAULT_BIND_PORTS.get(app_section, 0)),
                         int, 'bind_port', minimum=0)
    backlog = config_number(conf.get('backlog', DEFAULT_BACKLOG), int, 'backlog', minimum=1)
    timeout_s = config_number(conf.get('bind_timeout', BIND_TIMEOUT_S), float,
                              'bind_timeout', minimum=0)
    family = socket.AF_INET6 if ':' in ip else socket.AF_INET
    deadline = clock.monotonic() + timeout_s
    while True:
        try:
            # no SO_REUSEPORT: a second server on a busy port must fail, not silently
            # share the port's connections with a stale one
            sock = concurrency.listen((ip, port), family=family, backlog=backlog,
                                      reuse_port=False)
            break
        except OSError as err:
            if err.errno != errno.EADDRINUSE or clock.monotonic() >= deadline:
                raise BindError('Could not bind to %s:%s: %s' % (ip, port, err.strerror),
                                (ip, port))
            clock.sleep(0.1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    if hasattr(socket, 'TCP_KEEPIDLE'):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 600)
    return sock


class _RealSleeper:
    """Clock for process-level code (no eventlet needed in the supervising parent)."""

    def monotonic(self):
        return time.monotonic()

    def sleep(self, seconds):
        time.sleep(seconds)


def drop_privileges(user):
    """Become ``user`` when running as root (no-op otherwise or when already that user).

    :raises WsgiError: the user does not exist.
    """
    if not user or os.geteuid() != 0:
        return
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise WsgiError('User %s not found' % user)
    if entry.pw_uid == os.geteuid():
        return
    os.setgroups([g for g in os.getgrouplist(user, entry.pw_gid)])
    os.setgid(entry.pw_gid)
    os.setuid(entry.pw_uid)
    os.environ['HOME'] = entry.pw_dir


class _AccessLog:
    """File-like sink for eventlet's per-request lines: goes to the logger at DEBUG."""

    def __init__(self, logger):
        self.logger = logger

    def write(self, line):
        line = line.rstrip()
        if line:
            self.logger.debug('%s', line)

    def info(self, msg, *args):
        self.logger.debug(msg, *args)

    debug = info

    def error(self, msg, *args):
        self.logger.error(msg, *args)

    def flush(self):
        pass


def without_default_content_type(app):
    """Wrap ``app`` so a request without a Content-Type header has no CONTENT_TYPE.

    eventlet.wsgi fills CONTENT_TYPE with ``text/plain`` when the client sent none;
    Swift must see none, so that the object's type is guessed from its name and a copy
    keeps its source's type.
    """
    def wrapped(env, start_response):
        raw = env.get('headers_raw')
        if raw is not None and not any(name.lower() == 'content-type' for name, _ in raw):
            env.pop('CONTENT_TYPE', None)
        return app(env, start_response)
    return wrapped


_PROTOCOL = []
MAX_LEADING_EMPTY_LINES = 4
CLOSE_AFTER_STATUSES = ('408', '413', '499')


def _unsafe_header(name, value):
    """True when a response header would break the response's framing."""
    if not isinstance(value, str):
        value = str(value)
    return '\n' in value or '\r' in value or '\n' in name or '\r' in name


def _body_left_unread(request_input):
    """True when the app answers while part of a Content-Length request body is
    still unread: the connection then closes after the answer rather than waiting (up
    to client_timeout) for the rest, for a client that may never send it."""
    length = getattr(request_input, 'content_length', None)
    if not length or getattr(request_input, 'chunked_input', False):
        return False
    return request_input.position < length


def http_protocol():
    """eventlet.wsgi's ``HttpProtocol`` reading request headers with
    :func:`swift.common.bufferedhttp.parse_headers` (strict: RFC 7230's malformed heads
    are 400, close) instead of the email feed parser (about 30 us less per request).
    Also: 417 for an Expect other than 100-continue; 431 for too many or too long
    header lines; a status line and a one-line text reason on every refusal; empty lines
    before a request line skipped; the connection closed after 408/413/499 or an answer
    given before the whole body arrived; response headers carrying CR/LF dropped.

    :returns: the protocol class (built once, on first use, so that importing this
        module does not import eventlet).
    """
    if _PROTOCOL:
        return _PROTOCOL[0]
    import http.client
    import io
    from swift.common import concurrency
    from swift.common.bufferedhttp import MalformedHeader, parse_headers

    class HttpProtocol(concurrency.wsgi.HttpProtocol):
        # the standard library's own refusals (bad request line, unsupported
        # version): a status line always, and a one-line text body
        error_message_format = '%(explain)s\n'
        error_content_type = 'text/plain'

        def send_error(self, code, message=None, explain=None):
            if self.request_version == 'HTTP/0.9':
                # the request line was unreadable: answer without HTTP/0.9's bare body
                self.request_version = 'HTTP/1.0'
            # the standard reason phrase on the status line, the detail in the body
            super().send_error(code, None, message or explain)

        def parse_request(self):
            # RFC 7230 3.5: ignore (a few) empty lines before the request line
            for _ in range(MAX_LEADING_EMPTY_LINES):
                if self.raw_requestline not in (b'\r\n', b'\n'):
                    break
                self.raw_requestline = self.rfile.readline(65537)
            rfile = self.rfile
            self.rfile = io.BytesIO(b'\r\n')  # the base class sees no headers
            try:
                if not super().parse_request():
                    return False
            finally:
                self.rfile = rfile
            try:
                self.headers = parse_headers(self.rfile, strict=True)
            except MalformedHeader as err:
                return self._refuse(400, 'Bad Request', str(err))
            except http.client.LineTooLong:
                return self._refuse(431, 'Request Header Fields Too Large',
                                    'Header line too long')
            except http.client.HTTPException:
                return self._refuse(431, 'Request Header Fields Too Large',
                                    'Too many headers')
            return self._connection_and_expect()

        def _refuse(self, status, reason, text):
            """Answer a request whose head cannot be used: a short text body, and the
            connection closes (the rest of what the client sent is not trusted)."""
            self.close_connection = True
            body = text.encode('latin-1', 'replace') + b'\n'
            self.log_error('%s %s: %s', status, reason, text)
            self.wfile.write(b'HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n'
                             b'Content-Length: %d\r\nConnection: close\r\n\r\n%s' % (
                                 status, reason.encode('ascii'), len(body), body))
            self.wfile.flush()
            return False

        def handle_one_response(self):
            # Close after an answer that leaves the request body unread on purpose
            # (408 client too slow, 413 too large, 499): eventlet would otherwise read
            # and discard the rest, holding the connection up to client_timeout.
            app = self.application

            def application(env, start_response):
                def start(status, headers, exc_info=None):
                    if status[:3] in CLOSE_AFTER_STATUSES or \
                            _body_left_unread(env.get('wsgi.input')):
                        self.close_connection = 1
                    if any(_unsafe_header(n, v) for n, v in headers):
                        headers = self._safe_headers(headers)
                    return start_response(status, headers, exc_info)
                return app(env, start)
            self.application = application
            return super().handle_one_response()

        def _safe_headers(self, headers):
            # Never let a header value split the response (CR/LF smuggled in from a
            # request, e.g. a response-* override): drop it and say so.
            kept = []
            for name, value in headers:
                if _unsafe_header(name, value):
                    self.log_error('dropped response header %r: CR/LF in it', name[:64])
                else:
                    kept.append((name, value))
            return kept

        def _connection_and_expect(self):
            expect = self.headers.get('Expect')
            if expect is not None and expect.strip().lower() != '100-continue':
                return self._refuse(417, 'Expectation Failed',
                                    'Unsupported Expect: %s' % expect[:64])
            connection = self.headers.get('Connection', '').lower()
            if connection == 'close':
                self.close_connection = True
            elif connection == 'keep-alive' and self.protocol_version >= 'HTTP/1.1':
                self.close_connection = False
            if self.headers.get('Expect', '').lower() == '100-continue' and \
                    self.protocol_version >= 'HTTP/1.1' and \
                    self.request_version >= 'HTTP/1.1':
                return self.handle_expect_100()
            return True

    _PROTOCOL.append(HttpProtocol)
    return HttpProtocol


def serve(sock, app, conf, logger):
    """Serve ``app`` on ``sock`` in this process until SIGHUP (graceful) or SIGTERM.

    On SIGHUP the server stops accepting (its listen socket closes); requests in flight
    finish; then this returns.

    :param sock: a bound, listening green socket.
    :param app: WSGI callable.
    :param conf: server conf (``max_clients``, ``client_timeout`` seconds,
        ``keep_idle``).
    :param logger: component logger.
    """
    from swift.common import concurrency
    max_clients = config_number(conf.get('max_clients', DEFAULT_MAX_CLIENTS), int,
                                'max_clients', minimum=1)
    client_timeout_s = config_number(conf.get('client_timeout', DEFAULT_CLIENT_TIMEOUT_S),
                                     float, 'client_timeout', minimum=0)
    pool = concurrency.GreenPool(max_clients)
    serving = concurrency.current_greenthread()
    stopping = []

    def _graceful(signum, frame):
        # Only note it: the handler runs inside the hub's poll, which Python resumes
        # with its old timeout, so work scheduled from here could wait that long.
        stopping.append(signum)

    def _watch_for_sighup():
        while not stopping:
            concurrency.sleep(SIGNAL_POLL_S)
        logger.info('SIGHUP received: finishing in-flight requests')
        # eventlet's server loop ends on SystemExit raised where it waits (accept),
        # then waits for its pool.
        concurrency.kill(serving, SystemExit)

    signal.signal(signal.SIGHUP, _graceful)
    watcher = concurrency.spawn(_watch_for_sighup)
    try:
        concurrency.wsgi.server(
            sock, without_default_content_type(app), log=_AccessLog(logger), custom_pool=pool,
            protocol=http_protocol(),
            socket_timeout=client_timeout_s, log_output=False, debug=False,
            url_length_limit=_max_request_line(conf), capitalize_response_headers=False)
    except SystemExit:
        pass   # SIGHUP before the server loop was entered
    finally:
        if not stopping:
            watcher.kill()
    pool.waitall()


def cluster_limits(conf):
    """(max_header_size, max_request_line) in bytes from ``swift_dir``/swift.conf.

    :raises ConfigError: a non-integer override in ``[swift-constraints]``.
    """
    from swift.common.constraints import Constraints
    try:
        limits = Constraints.from_swift_dir(conf.get('swift_dir', '/etc/swift'))
    except ValueError as err:
        raise ConfigError('Bad [swift-constraints] in swift.conf: %s' % err)
    return limits.max_header_size, limits.max_request_line


def _max_request_line(conf):
    return cluster_limits(conf)[1]


def set_max_header_size(conf):
    """Apply Swift's ``max_header_size`` (swift.conf, default 8192 bytes) to eventlet.

    eventlet reads its header line limit from a module global, so this is called once
    at process entry, never from tests.
    """
    from swift.common import concurrency
    concurrency.wsgi.MAX_HEADER_LINE = cluster_limits(conf)[0]


class WorkerSupervisor:
    """The parent of ``workers = N``: forks N children and keeps N alive.

    SIGTERM: every child gets SIGTERM, the parent reaps them and returns 0.
    SIGHUP: every child gets SIGHUP (graceful: stop accepting, finish requests) and the
    parent returns at once, so a new server can start while old requests finish.

    :param worker_count: N >= 1.
    :param run_worker: callable run in each child; its return ends the child (exit 0).
    :param logger: component logger.
    :param fork, wait, kill, sleep: process primitives (os.fork, os.wait, os.kill,
        time.sleep), injected so tests need no real processes.
    :param exit_child: how a child ends (os._exit).
    """

    def __init__(self, worker_count, run_worker, *, logger, fork=os.fork, wait=os.wait,
                 kill=os.kill, sleep=time.sleep, exit_child=os._exit):
        assert worker_count >= 1
        self.worker_count = worker_count
        self.run_worker = run_worker
        self.logger = logger
        self._fork, self._wait, self._kill = fork, wait, kill
        self._sleep, self._exit_child = sleep, exit_child
        self.children = set()
        self.running = True
        self.stop_signal = None

    def handle_signal(self, signum, frame=None):
        """SIGTERM/SIGHUP handler: stop supervising and pass the signal to children."""
        self.running = False
        self.stop_signal = signum
        for pid in list(self.children):
            self._signal_child(pid, signum)

    def _signal_child(self, pid, signum):
        try:
            self._kill(pid, signum)
        except ProcessLookupError:
            self.children.discard(pid)

    def spawn_child(self):
        """Fork one worker; in the child, run it and exit (never returns there)."""
        # A signal landing between fork and the child's reset would run the parent's
        # handler in the child; hold both signals until each side is ready for them.
        stop_signals = {signal.SIGTERM, signal.SIGHUP}
        signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
        try:
            pid = self._fork()
        except BaseException:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, stop_signals)
            raise
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGHUP, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, stop_signals)
            status = 0
            try:
                self.run_worker()
            except Exception:
                self.logger.exception('worker %s failed', os.getpid())
                status = 1
            self._exit_child(status)
            return None
        self.children.add(pid)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, stop_signals)
        self.logger.info('started worker %s', pid)
        return pid

    def run(self, install_handlers=True):
        """Supervise until SIGTERM or SIGHUP.

        :returns: 0.
        """
        if install_handlers:
            signal.signal(signal.SIGTERM, self.handle_signal)
            signal.signal(signal.SIGHUP, self.handle_signal)
        while self.running and len(self.children) < self.worker_count:
            self.spawn_child()
        while self.running:
            try:
                pid, status = self._wait()
            except ChildProcessError:
                break
            if pid not in self.children:
                continue
            self.children.discard(pid)
            if self.running:
                self.logger.error('worker %s died (status %s), restarting', pid, status)
                self._sleep(RESPAWN_DELAY_S)
                if self.running:
                    self.spawn_child()
        if self.stop_signal != signal.SIGHUP:
            self._reap_children()
        return 0

    def _reap_children(self):
        while self.children:
            try:
                pid, _status = self._wait()
            except ChildProcessError:
                break
            self.children.discard(pid)


def parse_workers(conf):
    """``workers`` option: 'auto' = CPU count, else an int >= 0 (default 1).

    :raises ConfigError: on anything else.
    """
    value = str(conf.get('workers', '1')).strip().lower()
    if value == 'auto':
        return os.cpu_count() or 1
    return config_number(value, int, 'workers', minimum=0)


def run_wsgi(conf_path, app_section, *, verbose=False, test_config=False):
    """Load, bind and serve the app of ``conf_path`` (Swift's run_wsgi).

    :param conf_path: server config (PasteDeploy ini).
    :param app_section: 'proxy-server', 'object-server', 'container-server' or
        'account-server': names the log route and default port.
    :param verbose: also log to stderr.
    :param test_config: load everything, then return 0 without serving.
    :returns: process exit status (0).
    :raises ConfigError, WsgiError: for the operator to read (wsgi_main prints them).
    """
    from swift.common.logs import get_logger
    conf = load_server_conf(conf_path, app_section)
    logger = get_logger(conf, log_route=app_section)
    if verbose:
        _log_to_stderr(logger)
    workers = parse_workers(conf)
    # as Swift does: a config that cannot load fails before the port is taken, so
    # nobody mistakes a dying server for a listening one
    app = loadapp(conf_path)
    if test_config:
        return 0
    sock = bind_socket(conf, app_section)
    drop_privileges(conf.get('user'))
    set_max_header_size(conf)
    logger.info('%s serving on %s:%s with %s worker(s)', app_section,
                conf.get('bind_ip', '0.0.0.0'), sock.getsockname()[1], workers)
    if workers == 0:
        serve(sock, app, conf, logger)
        return 0

    def run_worker():
        from swift.common import concurrency
        concurrency.reinit_after_fork()
        # each worker builds its own app (as Swift does): connections and pools made by
        # factories must not be shared between processes
        serve(sock, loadapp(conf_path), conf, logger)

    return WorkerSupervisor(workers, run_worker, logger=logger).run()


def _log_to_stderr(logger):
    import logging
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter('%(asctime)s %(name)s: %(levelname)s %(message)s'))
    logger.logger.addHandler(handler)


def wsgi_main(app_section, argv=None):
    """Console entry of every WSGI server: ``swift-<app_section> CONFIG [-v] [-t]``.

    :param app_section: e.g. 'object-server'.
    :param argv: arguments without the program name (default sys.argv[1:]).
    :returns: exit status: 0 served and stopped, 1 config/bind/load error (one line on
        stderr, no traceback), 2 bad usage.
    """
    args = parse_server_args(sys.argv[1:] if argv is None else argv,
                             prog='swift-%s' % app_section)
    from swift.common import concurrency
    concurrency.monkey_patch()
    try:
        return run_wsgi(args.conf_path, app_section, verbose=args.verbose,
                        test_config=args.test_config)
    except (WsgiError, ConfigError) as err:
        print('Error: %s' % err, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
