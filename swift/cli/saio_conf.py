# Owns the text of every file the all-in-one writes (DESIGN.md 6): swift.conf, the
# proxy and per-node server configs, rsyncd.conf, test.conf and saio.env. Pure functions
# of a Layout, so tests compare text without starting anything.
"""All-in-one layout (:class:`Layout`) and config file contents."""

import getpass
import grp
import os
import secrets
import sys
from dataclasses import dataclass, field

NODES = (1, 2, 3, 4)
SERVER_KINDS = ('object', 'container', 'account')
PORT_OFFSETS = {'object': 0, 'container': 1, 'account': 2}   # 62N0 / 62N1 / 62N2
DAEMON_SECTIONS = {
    'object': ('object-replicator', 'object-updater', 'object-auditor', 'object-expirer'),
    'container': ('container-replicator', 'container-updater', 'container-auditor'),
    'account': ('account-replicator', 'account-auditor', 'account-reaper'),
}
PROXY_PIPELINE = ('catch_errors gatekeeper healthcheck list-endpoints proxy-logging '
                  'cache etag-quoter '
                  'listing_formats bulk tempurl crossdomain ratelimit s3api tempauth '
                  'formpost staticweb copy container-quotas account-quotas slo dlo '
                  'versioned_writes symlink '
                  'proxy-logging proxy-server')
TEMPAUTH_USERS = (
    ('admin', 'admin', 'admin', '.admin .reseller_admin'),
    ('test', 'tester', 'testing', '.admin'),
    ('test', 'tester2', 'testing2', '.admin'),
    ('test', 'tester3', 'testing3', ''),
    ('test2', 'tester2', 'testing2', '.admin'),
)
DEFAULT_APPS = {'proxy-server': 'egg:swift#proxy', 'object-server': 'egg:swift#object',
                'container-server': 'egg:swift#container',
                'account-server': 'egg:swift#account'}
DEFAULT_FILTERS = {'healthcheck': 'egg:swift#healthcheck', 'recon': 'egg:swift#recon',
                   'list-endpoints': 'egg:swift#list_endpoints',
                   'etag-quoter': 'egg:swift#etag_quoter',
                   'bulk': 'egg:swift#bulk', 'crossdomain': 'egg:swift#crossdomain',
                   'ratelimit': 'egg:swift#ratelimit', 'copy': 'egg:swift#copy',
                   'container-quotas': 'egg:swift#container_quotas',
                   'account-quotas': 'egg:swift#account_quotas',
                   'catch_errors': 'egg:swift#catch_errors',
                   'gatekeeper': 'egg:swift#gatekeeper',
                   'proxy-logging': 'egg:swift#proxy_logging',
                   'cache': 'egg:swift#memcache',
                   'listing_formats': 'egg:swift#listing_formats',
                   'tempauth': 'egg:swift#tempauth',
                   'dlo': 'egg:swift#dlo', 'slo': 'egg:swift#slo',
                   'tempurl': 'egg:swift#tempurl', 'formpost': 'egg:swift#formpost',
                   'staticweb': 'egg:swift#staticweb', 'symlink': 'egg:swift#symlink',
                   'versioned_writes': 'egg:swift#versioned_writes',
                   's3api': 'egg:swift#s3api'}


def default_dir():
    """/srv/swift-saio for root, else ~/.swift-saio."""
    if os.geteuid() == 0:
        return '/srv/swift-saio'
    return os.path.join(os.path.expanduser('~'), '.swift-saio')


@dataclass(frozen=True)
class Layout:
    """Where everything of one all-in-one lives, and its ports.

    :ivar root: the cluster directory (configs in ``etc``, pid files in ``run``, logs in
        ``log``, devices under ``<N>/node/sdb<N>``, recon caches in ``cache/<N>``).
    :ivar base_port: node N's object/container/account ports are base+10N+0/1/2.
    :ivar proxy_port, memcached_port, rsync_port: TCP ports (rsync daemons listen on
        127.0.0.N:rsync_port, one per node).
    :ivar workers: ``workers`` of every WSGI server.
    :ivar disk_size: size of the XFS image (e.g. '4G').
    :ivar use_xfs: 'auto' (root with mkfs.xfs), 'yes' or 'no'.
    """
    root: str
    base_port: int = 6200
    proxy_port: int = 8080
    memcached_port: int = 11211
    rsync_port: int = 6203
    workers: int = 1
    disk_size: str = '4G'
    use_xfs: str = 'auto'
    apps: dict = field(default_factory=lambda: dict(DEFAULT_APPS))
    filters: dict = field(default_factory=lambda: dict(DEFAULT_FILTERS))

    @property
    def swift_dir(self):
        return os.path.join(self.root, 'etc')

    @property
    def run_dir(self):
        return os.path.join(self.root, 'run')

    @property
    def helper_run_dir(self):
        """Pid files of memcached and the rsync daemons (not swift-init's)."""
        return os.path.join(self.root, 'saio-run')

    @property
    def log_dir(self):
        return os.path.join(self.root, 'log')

    @property
    def mount_dir(self):
        return os.path.join(self.root, 'mnt')

    @property
    def disk_image(self):
        return os.path.join(self.root, 'swift-disk')

    @property
    def env_file(self):
        return os.path.join(self.root, 'saio.env')

    @property
    def auth_url(self):
        return 'http://127.0.0.1:%d/auth/v1.0' % self.proxy_port

    def port(self, kind, node):
        """Port of ``kind`` ('object'|'container'|'account') on node N."""
        return self.base_port + 10 * node + PORT_OFFSETS[kind]

    def ip(self, node):
        return '127.0.0.%d' % node

    def node_dir(self, node):
        """<root>/<N>/node: the ``devices`` directory of node N."""
        return os.path.join(self.root, str(node), 'node')

    def device(self, node):
        return 'sdb%d' % node

    def conf_path(self, kind, node):
        return os.path.join(self.swift_dir, '%s-server' % kind, '%d.conf' % node)

    def log_path(self, name, node=None):
        base = name if node is None else '%s-%d' % (name, node)
        return os.path.join(self.log_dir, base + '.log')

    def rsync_module(self, kind):
        """The replicators' rsync_module: Swift's form on port 873, a URL otherwise."""
        if self.rsync_port == 873:
            return '{replication_ip}::%s{replication_port}' % kind
        return 'rsync://{replication_ip}:%d/%s{replication_port}' % (self.rsync_port, kind)


def run_user():
    """(user, group) names of the current process."""
    return getpass.getuser(), grp.getgrgid(os.getegid()).gr_name


def swift_conf_text(prefix=None, suffix=None):
    """swift.conf with a random hash prefix/suffix, policies gold (0, default) and
    silver (1, 2 replicas in ring object-1)."""
    return '''[swift-hash]
# never change these once data is stored: every object's location depends on them
swift_hash_path_prefix = %s
swift_hash_path_suffix = %s

[storage-policy:0]
name = gold
policy_type = replication
default = yes

[storage-policy:1]
name = silver
policy_type = replication

[swift-constraints]
''' % (prefix or secrets.token_hex(8), suffix or secrets.token_hex(8))


def _filter_sections(layout, names):
    out = []
    for name in names:
        out.append('[filter:%s]\nuse = %s\n' % (name, layout.filters[name]))
        if name == 'cache':
            out.append('memcache_servers = 127.0.0.1:%d\n' % layout.memcached_port)
        if name == 'tempauth':
            for account, user, key, groups in TEMPAUTH_USERS:
                out.append(('user_%s_%s = %s %s' % (account, user, key, groups)).rstrip()
                           + '\n')
        if name == 'versioned_writes':
            out.append('allow_versioned_writes = true\n')   # as Swift's SAIO
        out.append('\n')
    return ''.join(out)


def proxy_conf_text(layout):
    """proxy-server.conf: Swift's pipeline, tempauth users, autocreate on."""
    user, _group = run_user()
    filters = [n for n in PROXY_PIPELINE.split() if n != 'proxy-server']
    unique = list(dict.fromkeys(filters))
    return '''[DEFAULT]
bind_ip = 127.0.0.1
bind_port = %(port)d
workers = %(workers)d
user = %(user)s
swift_dir = %(swift_dir)s
log_file = %(log)s
log_level = INFO
eventlet_debug = true

[pipeline:main]
pipeline = %(pipeline)s

[app:proxy-server]
use = %(use)s
allow_account_management = true
account_autocreate = true

%(filters)s''' % {
        'port': layout.proxy_port, 'workers': layout.workers, 'user': user,
        'swift_dir': layout.swift_dir, 'log': layout.log_path('proxy-server'),
        'pipeline': PROXY_PIPELINE, 'use': layout.apps['proxy-server'],
        'filters': _filter_sections(layout, unique)}


def server_conf_text(layout, kind, node):
    """<kind>-server/<node>.conf for a storage node, with its daemons' sections."""
    user, _group = run_user()
    server = '%s-server' % kind
    text = '''[DEFAULT]
devices = %(devices)s
mount_check = false
disable_fallocate = true
bind_ip = %(ip)s
bind_port = %(port)d
workers = %(workers)d
user = %(user)s
log_file = %(log)s
log_level = INFO
recon_cache_path = %(recon)s
swift_dir = %(swift_dir)s
eventlet_debug = true

[pipeline:main]
pipeline = healthcheck recon %(server)s

[app:%(server)s]
use = %(use)s

%(filters)s''' % {
        'devices': layout.node_dir(node), 'ip': layout.ip(node),
        'port': layout.port(kind, node), 'workers': layout.workers, 'user': user,
        'log': layout.log_path(server, node),
        'recon': os.path.join(layout.root, 'cache', str(node)),
        'swift_dir': layout.swift_dir, 'server': server, 'use': layout.apps[server],
        'filters': _filter_sections(layout, ['healthcheck', 'recon'])}
    for section in DAEMON_SECTIONS[kind]:
        text += '[%s]\nlog_file = %s\n' % (section, layout.log_path(section, node))
        if section.endswith('-replicator'):
            text += 'rsync_module = %s\n' % layout.rsync_module(kind)
        if section == 'object-expirer':
            # the four nodes' expirers share the queue, each taking its own quarter
            text += ('internal_client_conf_path = %s\nprocesses = %d\nprocess = %d\n'
                     % (os.path.join(layout.swift_dir, 'internal-client.conf'),
                        len(NODES), node - 1))
        text += '\n'
    return text


def internal_client_conf_text(layout):
    """internal-client.conf: the in-process proxy pipeline daemons (the expirer) use."""
    user, _group = run_user()
    return '''[DEFAULT]
swift_dir = %(swift_dir)s
user = %(user)s
log_file = %(log)s

[pipeline:main]
pipeline = catch_errors proxy-logging cache proxy-server

[app:proxy-server]
use = %(use)s
account_autocreate = true

%(filters)s''' % {'swift_dir': layout.swift_dir, 'user': user,
                   'log': layout.log_path('internal-client'),
                   'use': layout.apps['proxy-server'],
                   'filters': _filter_sections(layout, ['catch_errors', 'proxy-logging',
                                                        'cache'])}


def memcache_conf_text(layout):
    """memcache.conf: where every memcache client of this cluster finds memcached."""
    return '[memcache]\nmemcache_servers = 127.0.0.1:%d\n' % layout.memcached_port


def rsyncd_conf_text(layout):
    """rsyncd.conf with modules account62N2 / container62N1 / object62N0 per node.

    One file serves the four daemons (each started with ``--address 127.0.0.N``); a
    node's modules point at its own devices directory.
    """
    user, group = run_user()
    lines = ['uid = %s' % user, 'gid = %s' % group,
             'log file = %s' % layout.log_path('rsyncd'),
             'use chroot = no', '']
    for node in NODES:
        for kind in ('account', 'container', 'object'):
            module = '%s%d' % (kind, layout.port(kind, node))
            lines += ['[%s]' % module, 'max connections = 25',
                      'path = %s/' % layout.node_dir(node), 'read only = false',
                      'lock file = %s' % os.path.join(layout.helper_run_dir,
                                                      module + '.lock'),
                      '']
    return '\n'.join(lines)


def test_conf_text(layout):
    """etc/test.conf for the functional tests (Swift's [func_test] names)."""
    return '''[func_test]
auth_uri = %s
account = test
username = tester
password = testing
account2 = test2
username2 = tester2
password2 = testing2
username3 = tester3
password3 = testing3
collate = C

[unit_test]
fake_syslog = False

[probe_test]
check_server_timeout = 30
proxy_base_url = http://127.0.0.1:%d
''' % (layout.auth_url, layout.proxy_port)


def env_text(layout):
    """saio.env: ``. saio.env`` points swift-init, swift-ring-builder, swift-get-nodes,
    python-swiftclient and the functional tests at this cluster."""
    values = [('SWIFT_SAIO_DIR', layout.root), ('SWIFT_DIR', layout.swift_dir),
              ('SWIFT_RUN_DIR', layout.run_dir),
              ('SWIFT_TEST_CONFIG_FILE', os.path.join(layout.swift_dir, 'test.conf')),
              ('ST_AUTH', layout.auth_url), ('ST_USER', 'test:tester'),
              ('ST_KEY', 'testing')]
    text = ''.join('export %s=%s\n' % (name, _shell_quote(value)) for name, value in values)
    # the commands of the Python that runs swift-saio (e.g. .venv/bin) come first
    bin_dir = os.path.dirname(os.path.abspath(sys.executable))
    return text + 'export PATH=%s:"$PATH"\n' % _shell_quote(bin_dir)


def _shell_quote(value):
    import shlex
    return shlex.quote(value)


def ring_commands(layout):
    """The swift-ring-builder argument lists that build the four rings (Swift's
    remakerings: object and container/account 10 3 1, object-1 10 2 1, zone N = node N).

    :returns: list of (ring name, [argv lists]).
    """
    plans = [('object', 'object', 3), ('object-1', 'object', 2),
             ('container', 'container', 3), ('account', 'account', 3)]
    out = []
    for ring, kind, replicas in plans:
        builder = os.path.join(layout.swift_dir, '%s.builder' % ring)
        cmds = [[builder, 'create', '10', str(replicas), '1']]
        for node in NODES:
            cmds.append([builder, 'add', 'r1z%d-%s:%d/%s' % (
                node, layout.ip(node), layout.port(kind, node), layout.device(node)), '1'])
        cmds.append([builder, 'rebalance'])
        out.append((ring, cmds))
    return out
