# Owns storage policies from swift.conf [storage-policy:N] (Swift's rules, catalog 9):
# index 0 -> object.ring.gz and "objects"; N -> object-N.ring.gz and "objects-N".
# No module-level singleton: components receive a StoragePolicyCollection.
"""Storage policies: :class:`StoragePolicy` and :class:`StoragePolicyCollection`."""

import configparser
import os
import re
from dataclasses import dataclass, field

from swift.common.config import config_true_value

_VALID_NAME = re.compile(r'^[-A-Za-z0-9]+$')
REPL_POLICY = 'replication'
EC_POLICY = 'erasure_coding'


class PolicyError(ValueError):
    """swift.conf describes invalid storage policies, or an unknown policy was asked for.

    :ivar index: the policy index involved (or None).
    """

    def __init__(self, message, index=None):
        super().__init__(message)
        self.index = index


def get_policy_string(base, policy_index):
    """``'objects'`` for index 0, ``'objects-N'`` otherwise (also tmp, async_pending)."""
    index = int(policy_index or 0)
    return base if index == 0 else '%s-%d' % (base, index)


def split_policy_string(policy_string):
    """``'objects-2'`` -> ``('objects', 2)``; ``'objects'`` -> ``('objects', 0)``."""
    base, sep, index = policy_string.rpartition('-')
    if sep and index.isdigit():
        return base, int(index)
    return policy_string, 0


@dataclass(frozen=True)
class StoragePolicy:
    """One policy: index, name, aliases, default/deprecated flags and type."""
    idx: int
    name: str
    is_default: bool = False
    is_deprecated: bool = False
    policy_type: str = REPL_POLICY
    aliases: tuple = field(default=())
    object_ring_replicas: int = 3

    @property
    def ring_name(self):
        """``object`` for index 0, ``object-N`` otherwise."""
        return get_policy_string('object', self.idx)

    def quorum(self, replicas):
        """Write quorum for ``replicas`` copies: (replicas + 1) // 2 (Swift's rule)."""
        return (int(replicas) + 1) // 2

    def info(self):
        """The dict /info lists for this policy."""
        entry = {'name': self.name, 'aliases': ', '.join((self.name,) + self.aliases)}
        if self.is_default:
            entry['default'] = True
        if self.is_deprecated:
            entry['deprecated'] = True
        return entry


class StoragePolicyCollection:
    """The cluster's policies, looked up by index or (case-insensitive) name/alias.

    :param policies: iterable of :class:`StoragePolicy`.
    :raises PolicyError: duplicate index/name, no or several defaults.
    """

    def __init__(self, policies):
        self.by_index = {}
        self.by_name = {}
        for policy in policies:
            if policy.idx in self.by_index:
                raise PolicyError('Duplicate index %s' % policy.idx, policy.idx)
            self.by_index[policy.idx] = policy
            for name in (policy.name,) + policy.aliases:
                if name.upper() in self.by_name:
                    raise PolicyError('Duplicate name %s' % name, policy.idx)
                self.by_name[name.upper()] = policy
        defaults = [p for p in self.by_index.values() if p.is_default]
        if len(defaults) > 1:
            raise PolicyError('Duplicate default policies')
        if not defaults:
            if len(self.by_index) > 1:
                raise PolicyError('Unable to find default policy')
            only = next(iter(self.by_index.values()))
            defaults = [only]
        self.default = defaults[0]
        if self.default.is_deprecated:
            raise PolicyError('Deprecated policy can not be default', self.default.idx)

    def __iter__(self):
        return iter(sorted(self.by_index.values(), key=lambda p: p.idx))

    def __len__(self):
        return len(self.by_index)

    def get_by_index(self, index):
        """Policy for ``index`` (int or digit str; None/'' means 0), or None."""
        if index in (None, ''):
            index = 0
        try:
            return self.by_index.get(int(index))
        except (TypeError, ValueError):
            return None

    def get_by_name(self, name):
        """Policy whose name or alias equals ``name`` case-insensitively, or None."""
        return self.by_name.get((name or '').upper())

    def info(self):
        """The list /info publishes (deprecated policies hidden)."""
        return [p.info() for p in self if not p.is_deprecated]

    @classmethod
    def from_swift_dir(cls, swift_dir):
        """Parse ``<swift_dir>/swift.conf``; a missing file gives the implicit Policy-0."""
        parser = configparser.RawConfigParser()
        parser.read(os.path.join(swift_dir, 'swift.conf'))
        return cls.from_parser(parser)

    @classmethod
    def from_parser(cls, parser):
        """Build from a parsed swift.conf (see :meth:`from_swift_dir`)."""
        policies = []
        for section in parser.sections():
            if not section.startswith('storage-policy:'):
                continue
            index_text = section.split(':', 1)[1]
            if not index_text.isdigit():
                raise PolicyError('Invalid index %r in %s' % (index_text, section))
            options = dict(parser.items(section))
            index = int(index_text)
            name = options.get('name') or ('Policy-0' if index == 0 else '')
            if not name or not _VALID_NAME.match(name):
                raise PolicyError('Invalid name %r in %s' % (name, section), index)
            aliases = tuple(a.strip() for a in options.get('aliases', '').split(',')
                            if a.strip() and a.strip() != name)
            policies.append(StoragePolicy(
                idx=index, name=name, aliases=aliases,
                is_default=config_true_value(options.get('default', 'no')),
                is_deprecated=config_true_value(options.get('deprecated', 'no')),
                policy_type=options.get('policy_type', REPL_POLICY)))
        if not policies:
            policies = [StoragePolicy(0, 'Policy-0', is_default=True)]
        return cls(policies)
