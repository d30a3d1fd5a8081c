# Owns reading config files. WSGI servers read PasteDeploy ini files; daemons read plain
# ini sections of the same files. Option values are strings; typed parsing helpers here.
"""Config reading: :func:`readconf`, value parsers and the ``from_conf`` helpers."""

import configparser
import os

TRUE_VALUES = {'true', '1', 'yes', 'on', 't', 'y'}
FALSE_VALUES = {'false', '0', 'no', 'off', 'f', 'n'}


class ConfigError(ValueError):
    """A config file or option is missing or invalid.

    :ivar path: the config file (or None).
    :ivar option: the offending option name (or None).
    """

    def __init__(self, message, path=None, option=None):
        super().__init__(message)
        self.path = path
        self.option = option


def config_true_value(value):
    """True for Swift's true words (true, 1, yes, on, t, y) or a True bool."""
    return value is True or (isinstance(value, str) and value.strip().lower() in TRUE_VALUES)


def config_bool(value, option='value'):
    """Parse a boolean option strictly.

    :raises ConfigError: for anything but Swift's true/false words.
    """
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_VALUES:
        return True
    if text in FALSE_VALUES:
        return False
    raise ConfigError('Invalid boolean %r for %s' % (value, option), option=option)


def config_number(value, kind, option='value', minimum=None):
    """Parse ``value`` with ``kind`` (int or float), checking ``minimum``.

    :raises ConfigError: naming ``option`` when it does not parse or is too small.
    """
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise ConfigError('Invalid %s %r for %s' % (kind.__name__, value, option),
                          option=option)
    if minimum is not None and number < minimum:
        raise ConfigError('%s must be >= %s, got %r' % (option, minimum, value),
                          option=option)
    return number


def list_from_csv(value):
    """``'a, b,,c'`` -> ``['a', 'b', 'c']``."""
    if not value:
        return []
    return [item.strip() for item in str(value).split(',') if item.strip()]


def _parser(path_or_fp):
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str
    if hasattr(path_or_fp, 'readline'):
        parser.read_file(path_or_fp)
        return parser
    if os.path.isdir(path_or_fp):
        # conf.d style: every *.conf in lexical order, later ones win
        names = sorted(n for n in os.listdir(path_or_fp) if n.endswith('.conf'))
        found = parser.read([os.path.join(path_or_fp, n) for n in names])
    else:
        found = parser.read(path_or_fp)
    if not found:
        raise ConfigError('Unable to read config from %s' % path_or_fp, path=path_or_fp)
    return parser


def readconf(path_or_fp, section_name=None, log_name=None, defaults=None):
    """Read an ini config file (or conf.d directory) as Swift does.

    :param section_name: return only that section merged over ``[DEFAULT]``; None
        returns every section (dict of dicts).
    :param log_name: sets ``log_name`` in the result if absent (section name otherwise).
    :returns: dict (one section) or dict of dicts; each carries ``__file__``.
    :raises ConfigError: when the file cannot be read or the section is missing.
    """
    try:
        parser = _parser(path_or_fp)
    except configparser.Error as err:
        raise ConfigError('Error parsing %s: %s' % (path_or_fp, err), path=path_or_fp)
    source = getattr(path_or_fp, 'name', path_or_fp)
    if section_name:
        if not parser.has_section(section_name):
            raise ConfigError('Unable to find %s config section in %s'
                              % (section_name, source), path=source)
        conf = dict(defaults or {})
        conf.update(parser.items(section_name))
        conf.setdefault('log_name', log_name or section_name)
    else:
        conf = {}
        for section in parser.sections():
            conf[section] = dict(parser.items(section))
        conf['log_name'] = log_name
    conf['__file__'] = source
    return conf


def section_names(path):
    """Names of the sections in the config at ``path`` (empty list if unreadable)."""
    try:
        return _parser(path).sections()
    except (ConfigError, configparser.Error):
        return []


def options_from_conf(cls, conf):
    """Values for the dataclass ``cls`` from a paste conf dict: each field's option
    (same name) converted to the type of the field's default (bool through
    :func:`config_true_value`), the default when the option is absent.

    :param cls: a dataclass whose fields all have defaults of type bool, int, float
        or str.
    :returns: dict of field name -> value (the caller may adjust, then ``cls(**it)``).
    :raises ConfigError: naming an option that does not convert.
    """
    from dataclasses import fields
    values = {}
    for field in fields(cls):
        raw = conf.get(field.name, field.default)
        converter = type(field.default)
        if converter is bool:
            values[field.name] = config_true_value(raw)
            continue
        try:
            values[field.name] = converter(raw)
        except (TypeError, ValueError):
            raise ConfigError('%s must be a number, got %r' % (field.name, raw),
                              option=field.name)
    return values
