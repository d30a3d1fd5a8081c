# The proxy's options with Swift's names and defaults, built once from the paste conf.
"""Proxy configuration: :class:`ProxyConfig`."""

from dataclasses import dataclass

from swift.common.config import (ConfigError, config_bool, config_number,
                                 list_from_csv)


@dataclass(frozen=True)
class ProxyConfig:
    """Options of ``[app:proxy-server]`` (Swift's defaults, units in the names' docs).

    conn_timeout, node_timeout, client_timeout, recoverable_node_timeout: seconds.
    recheck_*_existence: seconds account/container info stays in memcache.
    request_node_count: nodes a request may try, as ``N`` or ``N * replicas``.
    backend_keepalive (ours, not Swift's): keep answered backend connections open and
    send later requests to the same server over them (see common/connection_pool.py).
    """
    swift_dir: str = '/etc/swift'
    conn_timeout: float = 0.5
    node_timeout: float = 10.0
    recoverable_node_timeout: float = 10.0
    client_timeout: float = 60.0
    client_chunk_size: int = 65536
    object_chunk_size: int = 65536
    post_quorum_timeout: float = 0.5
    recheck_account_existence: float = 60.0
    recheck_container_existence: float = 60.0
    allow_account_management: bool = False
    account_autocreate: bool = False
    auto_create_account_prefix: str = '.'
    error_suppression_interval: float = 60.0
    error_suppression_limit: int = 10
    request_node_count: str = '2 * replicas'
    strict_cors_mode: bool = True
    allow_open_expired: bool = False
    disallowed_sections: tuple = ()
    expiring_objects_account_name: str = 'expiring_objects'
    expiring_objects_container_divisor: int = 86400
    log_handoffs: bool = True
    sorting_method: str = 'shuffle'
    timing_expiry: float = 300.0
    read_affinity: str = ''
    write_affinity: str = ''
    write_affinity_node_count: str = '2 * replicas'
    max_containers_per_account: int = 0
    max_containers_whitelist: tuple = ()
    backend_keepalive: bool = True

    @classmethod
    def from_conf(cls, conf):
        """Build from a conf dict (strings), failing fast on a bad value.

        :raises ConfigError: naming the option.
        """
        conf = conf or {}
        kwargs = {}
        floats = ('conn_timeout', 'node_timeout', 'recoverable_node_timeout',
                  'client_timeout', 'post_quorum_timeout', 'recheck_account_existence',
                  'recheck_container_existence', 'error_suppression_interval',
                  'timing_expiry')
        ints = ('client_chunk_size', 'object_chunk_size', 'error_suppression_limit',
                'expiring_objects_container_divisor', 'max_containers_per_account')
        bools = ('allow_account_management', 'account_autocreate', 'strict_cors_mode',
                 'allow_open_expired', 'log_handoffs', 'backend_keepalive')
        for name in floats:
            if name in conf:
                kwargs[name] = config_number(conf[name], float, name, minimum=0)
        for name in ints:
            if name in conf:
                kwargs[name] = config_number(conf[name], int, name, minimum=0)
        for name in bools:
            if name in conf:
                kwargs[name] = config_bool(conf[name], name)
        for name in ('swift_dir', 'auto_create_account_prefix',
                     'expiring_objects_account_name'):
            if name in conf:
                kwargs[name] = conf[name]
        for name in ('read_affinity', 'write_affinity'):
            if name in conf:
                kwargs[name] = conf[name]
        if 'sorting_method' in conf:
            method = conf['sorting_method'].strip().lower()
            if method not in ('shuffle', 'timing', 'affinity'):
                raise ConfigError('Invalid sorting_method value: %r' % method,
                                  option='sorting_method')
            kwargs['sorting_method'] = method
        if 'write_affinity_node_count' in conf:
            kwargs['write_affinity_node_count'] = conf['write_affinity_node_count']
            parse_request_node_count(conf['write_affinity_node_count'], 3)
        if 'request_node_count' in conf:
            kwargs['request_node_count'] = conf['request_node_count']
            parse_request_node_count(conf['request_node_count'], 3)
        if 'max_containers_whitelist' in conf:
            kwargs['max_containers_whitelist'] = tuple(
                list_from_csv(conf['max_containers_whitelist']))
        if 'disallowed_sections' in conf:
            kwargs['disallowed_sections'] = tuple(
                list_from_csv(conf['disallowed_sections']))
        return cls(**kwargs)

    def node_count(self, replicas):
        """Nodes a request may try for a ring of ``replicas`` copies."""
        return parse_request_node_count(self.request_node_count, replicas)

    def local_node_count(self, replicas):
        """Local nodes a write tries first (write_affinity_node_count)."""
        return parse_request_node_count(self.write_affinity_node_count, replicas)


def parse_request_node_count(value, replicas):
    """``'2 * replicas'`` -> 2 * replicas; ``'5'`` -> 5.

    :raises ConfigError: for any other form.
    """
    parts = str(value).lower().split()
    try:
        if len(parts) == 1:
            return int(parts[0])
        if len(parts) == 3 and parts[1] == '*' and parts[2] == 'replicas':
            return int(parts[0]) * int(replicas)
    except ValueError:
        pass
    raise ConfigError('Invalid request_node_count value: %r' % value,
                      option='request_node_count')
