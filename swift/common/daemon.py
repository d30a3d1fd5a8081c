# Owns the life of a background daemon (DESIGN.md 5, STYLE.md 8). Rules:
# - run_once() is one bounded pass and returns; tests call it directly;
# - run_forever() is: pass, sleep what is left of ``interval`` through the injected
#   clock (never less than MIN_PASS_DELAY_S, so a daemon never spins), stop when asked;
# - an exception in a pass is logged at the loop, never ends the daemon;
# - SIGTERM ends the process (the pass in progress is abandoned, as Swift does).
"""Daemons: :class:`Daemon` base, :func:`run_daemon`, :func:`daemon_main`."""

import argparse
import os
import signal
import sys

from swift.common.clock import REAL_CLOCK
from swift.common.config import ConfigError, config_number, readconf

DEFAULT_INTERVAL_S = 30.0
MIN_PASS_DELAY_S = 1.0  # a pass that overran its interval still rests this long


class Daemon:
    """Base class of every daemon (replicators, auditors, updaters, reaper, expirer).

    Subclasses implement :meth:`run_once`; most keep the base :meth:`run_forever`.

    :param conf: dict of the daemon's section merged over ``[DEFAULT]`` (strings).
        ``interval`` (seconds, default :attr:`default_interval_s`) spaces the passes.
    :param logger: component logger (default ``get_logger(conf, log_route=<section>)``).
    :param clock: :class:`swift.common.clock.Clock` (default the real one).
    """

    default_interval_s = DEFAULT_INTERVAL_S

    def __init__(self, conf, *, logger=None, clock=None):
        self.conf = conf
        if logger is None:
            from swift.common.logs import get_logger
            logger = get_logger(conf, log_route=conf.get('log_name') or
                                type(self).__name__.lower())
        self.logger = logger
        self.clock = clock or REAL_CLOCK
        self.interval_s = config_number(conf.get('interval', self.default_interval_s),
                                        float, 'interval', minimum=0)
        self.stopping = False
        self.passes = 0

    def run_once(self, **kwargs):
        """One full, bounded pass. Override.

        :param kwargs: ``devices``, ``partitions``, ``policies`` as comma-separated
            strings when given on the command line (Swift's override options).
        """
        raise NotImplementedError('%s.run_once' % type(self).__name__)

    def stop(self):
        """Ask :meth:`run_forever` to return after the current pass or sleep."""
        self.stopping = True

    def run_forever(self, **kwargs):
        """Run passes until :meth:`stop`; each pass is followed by a sleep of the rest of
        ``interval`` (at least MIN_PASS_DELAY_S) through ``self.clock``.
        """
        while not self.stopping:
            begin = self.clock.monotonic()
            try:
                self.run_once(**kwargs)
            except Exception:  # the daemon pass loop is a funnel (STYLE.md 9)
                self.logger.exception('Unhandled exception in %s pass',
                                      type(self).__name__)
            self.passes += 1
            if self.stopping:
                break
            elapsed_s = self.clock.monotonic() - begin
            self.clock.sleep(max(self.interval_s - elapsed_s, MIN_PASS_DELAY_S))

    def run(self, once=False, **kwargs):
        """Run one pass (``once``) or forever.

        :returns: None.
        """
        if once:
            self.run_once(**kwargs)
        else:
            self.run_forever(**kwargs)


def run_daemon(klass, conf_path, section_name='', once=False, *, verbose=False,
               install_signals=True, **kwargs):
    """Load ``[section_name]`` of ``conf_path`` (over ``[DEFAULT]``) and run ``klass``.

    :param klass: a :class:`Daemon` subclass.
    :param conf_path: config file path (e.g. object-server/1.conf).
    :param section_name: e.g. 'object-updater'; default derived from the class name.
    :param once: one pass instead of forever.
    :param verbose: also log to stderr.
    :param install_signals: SIGTERM/SIGINT end the process (off in tests).
    :param kwargs: passed to run_once/run_forever (``devices``, ``partitions``,
        ``policies`` as comma-separated strings).
    :returns: the daemon instance after it stopped.
    :raises ConfigError: unreadable file or missing section.
    """
    section_name = section_name or _section_for(klass)
    conf = readconf(conf_path, section_name, log_name=section_name)
    from swift.common.logs import get_logger
    logger = get_logger(conf, log_route=section_name)
    if verbose:
        _log_to_stderr(logger)
    _drop_privileges(conf.get('user'))
    daemon = klass(conf, logger=logger)
    if install_signals:
        def _terminate(signum, frame):
            daemon.stop()
            logger.info('%s exiting on signal %s', section_name, signum)
            if os.getsid(0) == os.getpid():
                # started by swift-init in a session of our own: end what we forked
                # too (rsync, audit children), as Swift's daemons do
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
                os.killpg(0, signal.SIGTERM)
            sys.exit(0)
        signal.signal(signal.SIGTERM, _terminate)
        signal.signal(signal.SIGINT, _terminate)
    logger.info('Starting %s (%s)', section_name, 'once' if once else 'forever')
    daemon.run(once=once, **kwargs)
    return daemon


def _section_for(klass):
    name = klass.__name__
    out = ''.join('-' + ch.lower() if ch.isupper() else ch for ch in name)
    return out.lstrip('-')


def _log_to_stderr(logger):
    import logging
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter('%(asctime)s %(name)s: %(levelname)s %(message)s'))
    logger.logger.addHandler(handler)


def _drop_privileges(user):
    if not user or os.geteuid() != 0:
        return
    from swift.common.wsgi import drop_privileges
    drop_privileges(user)


def parse_daemon_args(argv, prog='swift-daemon'):
    """Parse ``CONFIG [-v] [-o|--once] [once] [verbose] [-d DEVS] [-p PARTS] [-i POLS]``.

    :returns: (conf_path, once, verbose, kwargs) where kwargs holds ``devices``,
        ``partitions``, ``policies`` (comma-separated strings) when given.
    :raises SystemExit: (code 2) on bad usage.
    """
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument('conf_path', metavar='CONFIG')
    parser.add_argument('words', nargs='*', help='"once" and/or "verbose"')
    parser.add_argument('-v', '--verbose', action='store_true', help='log to console')
    parser.add_argument('-o', '--once', action='store_true', help='only run one pass')
    parser.add_argument('-d', '--devices', help='only these devices (comma-separated)')
    parser.add_argument('-p', '--partitions', help='only these partitions')
    parser.add_argument('-i', '--policies', help='only these policy indexes')
    args = parser.parse_args(argv)
    unknown = [w for w in args.words if w not in ('once', 'verbose')]
    if unknown:
        parser.error('unrecognized arguments: %s' % ' '.join(unknown))
    once = args.once or 'once' in args.words
    verbose = args.verbose or 'verbose' in args.words
    kwargs = {key: getattr(args, key) for key in ('devices', 'partitions', 'policies')
              if getattr(args, key)}
    return args.conf_path, once, verbose, kwargs


def daemon_main(daemon_class, section_name, argv=None):
    """Console entry of every daemon, e.g. ``swift-object-updater CONFIG [once]``.

    :param daemon_class: a :class:`Daemon` subclass.
    :param section_name: its config section, e.g. 'object-updater'.
    :param argv: arguments without the program name (default sys.argv[1:]).
    :returns: exit status: 0 done, 1 config error (one line on stderr), 2 bad usage.
    """
    conf_path, once, verbose, kwargs = parse_daemon_args(
        sys.argv[1:] if argv is None else argv, prog='swift-%s' % section_name)
    from swift.common import concurrency
    from swift.common.wsgi import WsgiError
    concurrency.monkey_patch()
    try:
        run_daemon(daemon_class, conf_path, section_name, once, verbose=verbose, **kwargs)
    except (ConfigError, WsgiError) as err:
        print('Error: %s' % err, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    return 0
