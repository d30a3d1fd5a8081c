# Owns ``swift-config``: show the configuration a server would really run with.
# Rules (as Swift): each argument is a config path or a server name (whose configs
# are found the way swift-init finds them); every config prints a ``# <path>`` line,
# then each section as ``[name]`` and ``key = value`` lines with [DEFAULT] merged in,
# in file order, then the non-section values as ``# key = value`` comments.
# -w parses as PasteDeploy would (the pipeline, ``set`` overrides, ``here``).
"""``swift-config``: print the effective parsed config of servers or files."""

import configparser
import optparse
import os
import sys

from swift.common.config import ConfigError, readconf
from swift.common.manager import Server, ServerNameError


class SwiftConfigError(Exception):
    """A config could not be found or parsed; the message is shown to the user."""


def build_parser():
    """swift-config's option parser (Swift's options)."""
    parser = optparse.OptionParser('%prog [options] <server|server.conf> ...',
                                   prog='swift-config')
    parser.add_option('-c', '--config-num', metavar='N', type='int', dest='number',
                      default=0, help='parse config for the Nth server only')
    parser.add_option('-s', '--section', help='only display matching sections')
    parser.add_option('-w', '--wsgi', action='store_true',
                      help='use wsgi/paste parser instead of readconf')
    return parser


def find_conf_files(arg, number=0, swift_dir=None):
    """A path that exists is used as is; otherwise ``arg`` names a server.

    :returns: list of config paths (may be empty).
    :raises SwiftConfigError: for a word that is neither a file nor a server.
    """
    if os.path.exists(arg):
        return [arg]
    try:
        return Server(arg, swift_dir=swift_dir).conf_files(number=number)
    except ServerNameError as err:
        raise SwiftConfigError('%s (and no such file)' % err)


def inspect_app_config(conf_file, app_name='main'):
    """Paste view of ``conf_file``: ``{'pipeline:main': {...}, 'filter:x': {...},
    'app:y': {...}}`` with each section's effective conf (global + local).

    :raises SwiftConfigError: when PasteDeploy cannot load the app's config.
    """
    from paste.deploy import loadwsgi
    path = os.path.abspath(conf_file)
    try:
        app_config = loadwsgi.appconfig('config:' + path, name=app_name)
    except (LookupError, ImportError, ValueError, OSError,
            configparser.Error) as err:
        raise SwiftConfigError('Unable to load %s: %s' % (conf_file, err))
    context = app_config.context
    if context.object_type.name != 'pipeline':
        return {'app:%s' % app_name: dict(context.config())}
    names = _pipeline_names(path, app_name)
    conf = {}
    section = 'pipeline:%s' % app_name
    conf[section] = dict(context.config())
    for name, filter_context in zip(names, context.filter_contexts):
        conf['filter:%s' % name] = dict(filter_context.config())
    conf['app:%s' % names[-1]] = dict(context.app_context.config())
    conf[section]['pipeline'] = ' '.join(names)
    return conf


def _pipeline_names(path, app_name):
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read(path)
    return parser.get('pipeline:%s' % app_name, 'pipeline').split()


def format_conf(conf, conf_file, section=None):
    """Swift's swift-config text for one parsed config.

    :param conf: ``{section: {key: value}, other_key: value}`` (readconf shape).
    :param section: print only this section.
    :returns: list of lines.
    """
    lines = ['# %s' % conf_file]
    flat = {}
    for name, value in conf.items():
        if section and name != section:
            continue
        if not isinstance(value, dict):
            flat[name] = value
            continue
        lines.append('[%s]' % name)
        lines.extend('%s = %s' % (key, val) for key, val in value.items())
        lines.append('')
    lines.extend('# %s = %s' % (key, val) for key, val in flat.items())
    lines.append('')
    return lines


def show(args, options, out):
    """Print every config named by ``args``.

    :raises SwiftConfigError: for a missing or unparsable config.
    """
    conf_files = []
    for arg in args:
        found = find_conf_files(arg, options.number)
        if not found:
            raise SwiftConfigError('Unable to find config for %s' % arg)
        conf_files.extend(found)
    for conf_file in conf_files:
        if options.wsgi:
            conf = inspect_app_config(conf_file)
        else:
            try:
                conf = readconf(conf_file)
            except ConfigError as err:
                raise SwiftConfigError(str(err))
        for line in format_conf(conf, conf_file, options.section):
            print(line, file=out)


def main(argv=None, *, out=None, err=None):
    """Entry point of ``swift-config``; returns 0, or 1 with ``ERROR: ...`` on stderr."""
    out = out or sys.stdout
    err = err or sys.stderr
    options, args = build_parser().parse_args(
        sys.argv[1:] if argv is None else list(argv))
    if not args:
        print('ERROR: specify type of server or conf_path', file=err)
        return 1
    try:
        show(args, options, out)
    except SwiftConfigError as error:
        print('ERROR: %s' % error, file=err)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
