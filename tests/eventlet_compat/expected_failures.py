"""eventlet tests (that pass on the real eventlet) expected to fail on fasthub's eventlet alias,
each with a one-line reason. Ids are ``module.Class.test`` (or ``module.test``) as in eventlet's
tests/ directory. The list only shrinks: run.py fails when a listed test passes.

The reasons name the eventlet API or behaviour the test depends on, with the failure message seen
(in brackets) from the last run on CPython 3.11.
"""

FAILURES = {
    'api_test.TestApi.test_001_trampoline_timeout':
        'eventlet hub/greenlet identity details (spawn returns a greenlet in eventlet) [assert not True]',
    'api_test.TestApi.test_connect_ssl':
        'eventlet hub/greenlet identity details (spawn returns a greenlet in eventlet) [assert not True]',
    'api_test.TestApi.test_connect_tcp':
        'eventlet hub/greenlet identity details (spawn returns a greenlet in eventlet) [assert not True]',
    'api_test.TestApi.test_killing_dormant':
        'eventlet hub/greenlet identity details (spawn returns a greenlet in eventlet) [AssertionError: Lis...]',
    'api_test.TestApi.test_tcp_listener':
        'eventlet hub/greenlet identity details (spawn returns a greenlet in eventlet) [assert not True]',
    'api_test.TestApi.test_timeout_cancel':
        'eventlet hub/greenlet identity details (spawn returns a greenlet in eventlet) [assert not True]',
    'api_test.test_zero_second_sleep':
        'eventlet hub/greenlet identity details (spawn returns a greenlet in eventlet) [AssertionError: Expected s...]',
    'backdoor_test.BackdoorTest.test_server':
        'eventlet backdoor banner/prompt format [tests.TestIsTaking...]',
    'backdoor_test.BackdoorTest.test_server_on_unix_socket':
        'eventlet backdoor banner/prompt format [tes...]',
    'convenience_test.TestServe.test_excepting_server':
        'eventlet.serve/listen details fasthub.web.convenience handles differently [tests.Te...]',
    'convenience_test.TestServe.test_excepting_server_already_closed':
        'eventlet.serve/listen details fasthub.web.convenience handles differently',
    'convenience_test.TestServe.test_exiting_server':
        'eventlet.serve/listen details fasthub.web.convenience handles differently [Connection...]',
    'convenience_test.TestServe.test_wrap_ssl':
        'eventlet.serve/listen details fasthub.web.convenience handles differently [ValueError: chec...]',
    'convenience_test.test_reuse_random_port_warning':
        'eventlet.serve/listen details fasthub.web.convenience handles differently [assert 0 == 1]',
    'convenience_test.test_reuseport_oserror':
        "eventlet.serve/listen details fasthub.web.convenience handles differently [AttributeError: 's...]",
    'convenience_test.test_socket_reuse':
        'eventlet.serve/listen details fasthub.web.convenience handles differently [OSError: [Errno 98] Add...]',
    'dagpool_test.test_check_no_suspend':
        'eventlet.dagpool is not provided by the alias [not reached: the module did not run to this test]',
    'dagpool_test.test_getitem':
        'eventlet.dagpool is not provided by the alias [not reached: the module did not run to this test]',
    'dagpool_test.test_init':
        'eventlet.dagpool is not provided by the alias [not reached: the module did not run to this test]',
    'dagpool_test.test_kill':
        'eventlet.dagpool is not provided by the alias [not reached: the module did not run to this test]',
    'dagpool_test.test_post_collision_post':
        'eventlet.dagpool is not provided by the alias [not reached: the module did not run to this test]',
    'dagpool_test.test_post_collision_preload':
        'eventlet.dagpool is not provided by the alias [not reached: the module did not run to this test]',
    'dagpool_test.test_post_collision_spawn':
        'eventlet.dagpool is not provided by the alias [not reached: the module did not run to this test]',
    'dagpool_test.test_post_get_exc':
        'eventlet.dagpool is not provided by the alias [not reached: the module did not run to this test]',
    'dagpool_test.test_post_replace':
        'eventlet.dagpool is not provided by the alias [not reached: the module did not run to this test]',
    'dagpool_test.test_propagate_exc':
        'eventlet.dagpool is not provided by the alias [not reached: the module did not run to this test]',
    'dagpool_test.test_spawn_collision_post':
        'eventlet.dagpool is not provided by the alias [not reached: the module did not run to this test]',
    'dagpool_test.test_spawn_collision_preload':
        'eventlet.dagpool is not provided by the alias [not reached: the module did not run to this test]',
    'dagpool_test.test_spawn_collision_spawn':
        'eventlet.dagpool is not provided by the alias [not reached: the module did not run to this test]',
    'dagpool_test.test_spawn_many':
        'eventlet.dagpool is not provided by the alias [not reached: the module did not run to this test]',
    'dagpool_test.test_spawn_multiple':
        'eventlet.dagpool is not provided by the alias [not reached: the module did not run to this test]',
    'dagpool_test.test_wait_each_all':
        'eventlet.dagpool is not provided by the alias [not reached: the module did not run to this test]',
    'dagpool_test.test_wait_each_empty':
        'eventlet.dagpool is not provided by the alias [not reached: the module did not run to this test]',
    'dagpool_test.test_wait_each_exc':
        'eventlet.dagpool is not provided by the alias [not reached: the module did not run to this test]',
    'dagpool_test.test_wait_each_posted':
        'eventlet.dagpool is not provided by the alias [not reached: the module did not run to this test]',
    'dagpool_test.test_wait_each_preload':
        'eventlet.dagpool is not provided by the alias [not reached: the module did not run to this test]',
    'dagpool_test.test_wait_posted':
        'eventlet.dagpool is not provided by the alias [not reached: the module did not run to this test]',
    'dagpool_test.test_waitall_exc':
        'eventlet.dagpool is not provided by the alias [not reached: the module did not run to this test]',
    'db_pool_test.test_raw_pool_custom_cleanup_arg_error':
        'behaviour of the alias differs from eventlet in db_pool_test [TypeEr...]',
    'debug_test.TestSpew.test_line':
        "eventlet.debug internals (spew output format, hub listener dumps) [assert 'f=<frame at' in 'te...]",
    'debug_test.TestSpew.test_line_global':
        "eventlet.debug internals (spew output format, hub listener dumps) [assert 'f=<frame at'...]",
    'debug_test.TestSpew.test_line_nofile':
        'eventlet.debug internals (spew output format, hub listener dumps) [AssertionError: Didn...]',
    'env_test.test_hub_selects':
        "eventlet environment variables (EVENTLET_HUB, EVENTLET_TPOOL_*) fasthub does not read [AssertionError: assert b'eventle...]",
    'env_test.test_tpool_negative':
        'eventlet environment variables (EVENTLET_HUB, EVENTLET_TPOOL_*) fasthub does not read [AssertionError: Expected sing...]',
    'env_test.test_tpool_zero':
        'eventlet environment variables (EVENTLET_HUB, EVENTLET_TPOOL_*) fasthub does not read [AssertionError: Expected single l...]',
    'green_profile_test.test_green_profile_basic':
        'behaviour of the alias differs from eventlet in green_profile_test [not reached: the module did not run to this test]',
    'green_select_test.test_select_mark_file_as_reopened':
        'behaviour of the alias differs from eventlet in green_select_test [fasthu...]',
    'greendns_test.TestGetaddrinfo.test_AI_ADDRCONFIG':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [Attribut...]",
    'greendns_test.TestGetaddrinfo.test_AI_ADDRCONFIG_noaddr':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [A...]",
    'greendns_test.TestGetaddrinfo.test_canonname':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [AttributeErr...]",
    'greendns_test.TestGetaddrinfo.test_getaddrinfo':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [AttributeE...]",
    'greendns_test.TestGetaddrinfo.test_getaddrinfo_bytes':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [Attr...]",
    'greendns_test.TestGetaddrinfo.test_getaddrinfo_hosts_only_ans_with_error':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API",
    'greendns_test.TestGetaddrinfo.test_getaddrinfo_hosts_only_ans_with_timeout':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API",
    'greendns_test.TestGetaddrinfo.test_getaddrinfo_hosts_only_dns_error':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API",
    'greendns_test.TestGetaddrinfo.test_getaddrinfo_hosts_only_timeout':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API",
    'greendns_test.TestGetaddrinfo.test_getaddrinfo_idn':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [Attrib...]",
    'greendns_test.TestGetaddrinfo.test_getaddrinfo_inet':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [Attri...]",
    'greendns_test.TestGetaddrinfo.test_getaddrinfo_inet6':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [Attr...]",
    'greendns_test.TestGetaddrinfo.test_getaddrinfo_only_a_ans':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API",
    'greendns_test.TestGetaddrinfo.test_getaddrinfo_only_aaaa_ans':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API",
    'greendns_test.TestGetaddrinfo.test_getaddrinfo_type_parameter':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API",
    'greendns_test.TestGetaddrinfo.test_host_none':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [AttributeErr...]",
    'greendns_test.TestGetaddrinfo.test_host_none_passive':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [Attr...]",
    'greendns_test.TestGetaddrinfo.test_noport':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [AttributeError:...]",
    'greendns_test.TestGetaddrinfo.test_numerichost':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [AttributeE...]",
    'greendns_test.TestGetaddrinfo.test_numericserv':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [AttributeE...]",
    'greendns_test.TestGetaddrinfo.test_v4mapped':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [AttributeErro...]",
    'greendns_test.TestGetaddrinfo.test_v4mapped_all':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [Attribute...]",
    'greendns_test.TestGetaliases.test_getaliases':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [AttributeErr...]",
    'greendns_test.TestGethostbyname.test_ipaddr':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [AttributeErro...]",
    'greendns_test.TestGethostbyname.test_name':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [AttributeError:...]",
    'greendns_test.TestGethostbyname_ex.test_ipaddr':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [AttributeE...]",
    'greendns_test.TestGethostbyname_ex.test_multiple_addrs':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [At...]",
    'greendns_test.TestGethostbyname_ex.test_name':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [AttributeErr...]",
    'greendns_test.TestHostsResolver.test_default_fname':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [Attrib...]",
    'greendns_test.TestHostsResolver.test_getaliases':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [Attribute...]",
    'greendns_test.TestHostsResolver.test_getaliases_fqdn':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [Attr...]",
    'greendns_test.TestHostsResolver.test_getaliases_unknown':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [A...]",
    'greendns_test.TestHostsResolver.test_hosts_case_insensitive':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API",
    'greendns_test.TestHostsResolver.test_load_no_contents':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [Att...]",
    'greendns_test.TestHostsResolver.test_load_v4_v6_cname_aliases':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API",
    'greendns_test.TestHostsResolver.test_load_v6_link_local':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [A...]",
    'greendns_test.TestHostsResolver.test_query_A':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [AttributeErr...]",
    'greendns_test.TestHostsResolver.test_query_AAAA':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [Attribute...]",
    'greendns_test.TestHostsResolver.test_query_CNAME':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [Attribut...]",
    'greendns_test.TestHostsResolver.test_query_ans_types':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [Attr...]",
    'greendns_test.TestHostsResolver.test_query_unknown_no_raise':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API",
    'greendns_test.TestHostsResolver.test_query_unknown_raises':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API",
    'greendns_test.TestHostsResolver.test_query_unknown_type':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [A...]",
    'greendns_test.TestHostsResolver.test_readlines_lines':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [Attr...]",
    'greendns_test.TestHostsResolver.test_readlines_missing_file':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API",
    'greendns_test.TestProxyResolver.test_clear':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [AttributeError...]",
    'greendns_test.TestProxyResolver.test_getaliases':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [Attribute...]",
    'greendns_test.TestProxyResolver.test_getaliases_fqdn':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [Attr...]",
    'greendns_test.TestProxyResolver.test_getaliases_nxdomain':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [...]",
    'greendns_test.TestProxyResolver.test_hosts':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [AttributeError...]",
    'greendns_test.TestProxyResolver.test_hosts_noanswer':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [Attri...]",
    'greendns_test.TestProxyResolver.test_noanswer':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [AttributeEr...]",
    'greendns_test.TestProxyResolver.test_noanswer_hosts':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [Attri...]",
    'greendns_test.TestProxyResolver.test_nxdomain':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [AttributeEr...]",
    'greendns_test.TestProxyResolver.test_resolver':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [AttributeEr...]",
    'greendns_test.TestRaiseErrors.test_raise_new_error':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [Attrib...]",
    'greendns_test.TestResolve.test_A':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [AttributeError: module '...]",
    'greendns_test.TestResolve.test_AAAA':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [AttributeError: modul...]",
    'greendns_test.TestResolve.test_exc':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [AttributeError: module...]",
    'greendns_test.TestResolve.test_noraise_noanswer':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [Attribute...]",
    'greendns_test.TestResolve.test_noraise_nxdomain':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [Attribute...]",
    'greendns_test.TestResolve.test_timeout':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [AttributeError: mo...]",
    'greendns_test.TestResolve.test_unknown_rdtype':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [AttributeEr...]",
    'greendns_test.TestResolveCname.test_no_answer':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [AttributeEr...]",
    'greendns_test.TestResolveCname.test_nodata':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [AttributeError...]",
    'greendns_test.TestResolveCname.test_success':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [AttributeErro...]",
    'greendns_test.TestResolveCname.test_timeout':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [AttributeErro...]",
    'greendns_test.TestUdp.test_udp_ipv4':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [ModuleNotFoundError: ...]",
    'greendns_test.TestUdp.test_udp_ipv4_timeout':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [ModuleNotFoun...]",
    'greendns_test.TestUdp.test_udp_ipv4_wrong_addr':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [ModuleNotF...]",
    'greendns_test.TestUdp.test_udp_ipv4_wrong_addr_ignore':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [Mod...]",
    'greendns_test.TestUdp.test_udp_ipv6':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [ModuleNotFoundError: ...]",
    'greendns_test.TestUdp.test_udp_ipv6_addr_zeroes':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [ModuleNot...]",
    'greendns_test.TestUdp.test_udp_ipv6_timeout':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [ModuleNotFoun...]",
    'greendns_test.TestUdp.test_udp_ipv6_wrong_addr':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [ModuleNotF...]",
    'greendns_test.TestUdp.test_udp_ipv6_wrong_addr_ignore':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [Mod...]",
    'greendns_test.test_hosts_no_network':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [AttributeError: module...]",
    'greendns_test.test_hosts_priority':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [AttributeError: module '...]",
    'greendns_test.test_proxy_resolve_unqualified':
        "tests eventlet's own resolver (greendns.resolve/HostsResolver/ResolverProxy, mocked dnspython); fasthub resolves with fasthub.green.dns, not that API [AttributeErro...]",
    'greenio_test.TestGreenIoLong.test_multiple_readers':
        'relies on eventlet.greenio internals (GreenSocket.fd, GreenPipe details, hub listener bookkeeping) [ValueE...]',
    'greenio_test.TestGreenPipe.test_seek_on_buffered_pipe':
        'relies on eventlet.greenio internals (GreenSocket.fd, GreenPipe details, hub listener bookkeeping) [Fil...]',
    'greenio_test.TestGreenPipe.test_truncate':
        'relies on eventlet.greenio internals (GreenSocket.fd, GreenPipe details, hub listener bookkeeping) [FileNotFoundErro...]',
    'greenio_test.TestGreenSocket.test_blocking_accept_mark_as_reopened':
        'relies on eventlet.greenio internals (GreenSocket.fd, GreenPipe details, hub listener bookkeeping)',
    'greenio_test.TestGreenSocket.test_default_nonblocking':
        'relies on eventlet.greenio internals (GreenSocket.fd, GreenPipe details, hub listener bookkeeping) [Att...]',
    'greenio_test.TestGreenSocket.test_dup_nonblocking':
        'relies on eventlet.greenio internals (GreenSocket.fd, GreenPipe details, hub listener bookkeeping) [Attribu...]',
    'greenio_test.TestGreenSocket.test_nonblocking_accept_mark_as_reopened':
        'relies on eventlet.greenio internals (GreenSocket.fd, GreenPipe details, hub listener bookkeeping)',
    'greenio_test.TestGreenSocket.test_skip_nonblocking':
        'relies on eventlet.greenio internals (GreenSocket.fd, GreenPipe details, hub listener bookkeeping) [Attrib...]',
    'greenio_test.test_get_fileno_of_a_socket_with_fileno_returning_wrong_type_fails':
        'relies on eventlet.greenio internals (GreenSocket.fd, GreenPipe details, hub listener bookkeeping)',
    'greenio_test.test_get_fileno_of_a_socket_works':
        'relies on eventlet.greenio internals (GreenSocket.fd, GreenPipe details, hub listener bookkeeping) [AttributeEr...]',
    'greenio_test.test_get_fileno_of_an_int_works':
        'relies on eventlet.greenio internals (GreenSocket.fd, GreenPipe details, hub listener bookkeeping) [AttributeErro...]',
    'greenio_test.test_get_fileno_of_wrong_type_fails':
        'relies on eventlet.greenio internals (GreenSocket.fd, GreenPipe details, hub listener bookkeeping) [Attribute...]',
    'greenio_test.test_greenpipe_append':
        'relies on eventlet.greenio internals (GreenSocket.fd, GreenPipe details, hub listener bookkeeping) [OSError: [Errno 9] Bad ...]',
    'greenio_test.test_partial_write_295':
        "relies on eventlet.greenio internals (GreenSocket.fd, GreenPipe details, hub listener bookkeeping) [AttributeError: 'socke...]",
    'greenpool_test.GreenPile.test_constructing_from_pool':
        'behaviour of the alias differs from eventlet in greenpool_test [Asse...]',
    'greenpool_test.GreenPool.test_empty_imap':
        'behaviour of the alias differs from eventlet in greenpool_test [AttributeError: ...]',
    'greenpool_test.GreenPool.test_imap_nonefunc':
        "behaviour of the alias differs from eventlet in greenpool_test [TypeError: 'N...]",
    'greenpool_test.GreenPool.test_imap_raises':
        'behaviour of the alias differs from eventlet in greenpool_test [AssertionError:...]',
    'greenpool_test.GreenPool.test_recursive_waitall':
        'behaviour of the alias differs from eventlet in greenpool_test [RuntimeEr...]',
    'greenpool_test.GreenPool.test_timer_cancel':
        'behaviour of the alias differs from eventlet in greenpool_test [AssertionError...]',
    'hub_test.TestDeadRunLoop.test_parent':
        "tests eventlet hub internals (timers_canceled, hub.running, fork/use_hub behaviour) that fasthub's compiled hub does not expose [assert not True]",
    'hub_test.TestDebug.test_debug_listeners':
        "tests eventlet hub internals (timers_canceled, hub.running, fork/use_hub behaviour) that fasthub's compiled hub does not expose [AttributeError: '...]",
    'hub_test.TestDebug.test_timer_exceptions':
        "tests eventlet hub internals (timers_canceled, hub.running, fork/use_hub behaviour) that fasthub's compiled hub does not expose [AttributeError: ...]",
    'hub_test.TestHubBlockingDetector.test_block_detect':
        "tests eventlet hub internals (timers_canceled, hub.running, fork/use_hub behaviour) that fasthub's compiled hub does not expose [tests....]",
    'hub_test.TestMultipleListenersCleanup.test_cleanup':
        "tests eventlet hub internals (timers_canceled, hub.running, fork/use_hub behaviour) that fasthub's compiled hub does not expose [ValueE...]",
    'hub_test.TestScheduleCall.test_local':
        "tests eventlet hub internals (timers_canceled, hub.running, fork/use_hub behaviour) that fasthub's compiled hub does not expose [AssertionError: []]",
    'hub_test.TestTimerCleanup.test_cancel_accumulated':
        "tests eventlet hub internals (timers_canceled, hub.running, fork/use_hub behaviour) that fasthub's compiled hub does not expose [Attribu...]",
    'hub_test.TestTimerCleanup.test_cancel_immediate':
        "tests eventlet hub internals (timers_canceled, hub.running, fork/use_hub behaviour) that fasthub's compiled hub does not expose [Attribute...]",
    'hub_test.TestTimerCleanup.test_cancel_proportion':
        "tests eventlet hub internals (timers_canceled, hub.running, fork/use_hub behaviour) that fasthub's compiled hub does not expose [Attribut...]",
    'hub_test.test_kqueue_unsupported':
        "tests eventlet hub internals (timers_canceled, hub.running, fork/use_hub behaviour) that fasthub's compiled hub does not expose [AssertionError: Expected ...]",
    'hub_test.test_use_hub_class':
        "tests eventlet hub internals (timers_canceled, hub.running, fork/use_hub behaviour) that fasthub's compiled hub does not expose [AssertionError: Expected singl...]",
    'patcher_test.GreenThreadWrapper.test_ident':
        "checks eventlet's patcher output/threading internals that fasthub's monkey_patch does differently [AssertionError...]",
    'patcher_test.GreenThreadWrapper.test_is_alive':
        "checks eventlet's patcher output/threading internals that fasthub's monkey_patch does differently [AssertionEr...]",
    'patcher_test.GreenThreadWrapper.test_is_daemon':
        "checks eventlet's patcher output/threading internals that fasthub's monkey_patch does differently [AssertionE...]",
    'patcher_test.GreenThreadWrapper.test_join':
        "checks eventlet's patcher output/threading internals that fasthub's monkey_patch does differently [AssertionError:...]",
    'patcher_test.GreenThreadWrapper.test_name':
        "checks eventlet's patcher output/threading internals that fasthub's monkey_patch does differently [AssertionError:...]",
    'patcher_test.ImportPatched.test_patch_a_module':
        "checks eventlet's patcher output/threading internals that fasthub's monkey_patch does differently [AssertionE...]",
    'patcher_test.MonkeyPatch.test_boolean':
        "checks eventlet's patcher output/threading internals that fasthub's monkey_patch does differently [AssertionError: 'Tr...]",
    'patcher_test.MonkeyPatch.test_boolean_all':
        "checks eventlet's patcher output/threading internals that fasthub's monkey_patch does differently [AssertionError:...]",
    'patcher_test.MonkeyPatch.test_boolean_all_negative':
        "checks eventlet's patcher output/threading internals that fasthub's monkey_patch does differently [Assert...]",
    'patcher_test.MonkeyPatch.test_boolean_all_single':
        "checks eventlet's patcher output/threading internals that fasthub's monkey_patch does differently [Assertio...]",
    'patcher_test.MonkeyPatch.test_boolean_double':
        "checks eventlet's patcher output/threading internals that fasthub's monkey_patch does differently [AssertionErr...]",
    'patcher_test.MonkeyPatch.test_boolean_negative':
        "checks eventlet's patcher output/threading internals that fasthub's monkey_patch does differently [AssertionE...]",
    'patcher_test.MonkeyPatch.test_boolean_negative2':
        "checks eventlet's patcher output/threading internals that fasthub's monkey_patch does differently [Assertion...]",
    'patcher_test.MonkeyPatch.test_boolean_single':
        "checks eventlet's patcher output/threading internals that fasthub's monkey_patch does differently [AssertionErr...]",
    'patcher_test.MonkeyPatch.test_conflicting_specifications':
        "checks eventlet's patcher output/threading internals that fasthub's monkey_patch does differently [...]",
    'patcher_test.MonkeyPatch.test_patched_modules':
        "checks eventlet's patcher output/threading internals that fasthub's monkey_patch does differently [AssertionEr...]",
    'patcher_test.Threading.test_greenlet':
        "checks eventlet's patcher output/threading internals that fasthub's monkey_patch does differently [AssertionError: 5 !=...]",
    'patcher_test.Threading.test_greenthread':
        "checks eventlet's patcher output/threading internals that fasthub's monkey_patch does differently [AssertionError: 5...]",
    'patcher_test.Threading.test_orig_thread':
        "checks eventlet's patcher output/threading internals that fasthub's monkey_patch does differently [AssertionError: 6...]",
    'patcher_test.Threading.test_tpool':
        "checks eventlet's patcher output/threading internals that fasthub's monkey_patch does differently [AssertionError: 5 != 3 ...]",
    'patcher_test.test_blocking_select_methods_are_deleted':
        "checks eventlet's patcher output/threading internals that fasthub's monkey_patch does differently [Asse...]",
    'patcher_test.test_builtin':
        "checks eventlet's patcher output/threading internals that fasthub's monkey_patch does differently [AssertionError: Expected single ...]",
    'patcher_test.test_fork_after_monkey_patch':
        "checks eventlet's patcher output/threading internals that fasthub's monkey_patch does differently [AssertionError: ...]",
    'patcher_test.test_fork_after_monkey_patch_threading':
        "checks eventlet's patcher output/threading internals that fasthub's monkey_patch does differently [Assert...]",
    'patcher_test.test_fork_in_thread_after_monkey_patch_threading':
        "checks eventlet's patcher output/threading internals that fasthub's monkey_patch does differently",
    'patcher_test.test_import_patched_defaults':
        "checks eventlet's patcher output/threading internals that fasthub's monkey_patch does differently [AssertionError: ...]",
    'patcher_test.test_import_patched_handles_sub_modules':
        "checks eventlet's patcher output/threading internals that fasthub's monkey_patch does differently [Asser...]",
    'patcher_test.test_patcher_existing_locks':
        "checks eventlet's patcher output/threading internals that fasthub's monkey_patch does differently [AssertionError: E...]",
    'patcher_test.test_patcher_existing_logging_module_lock':
        "checks eventlet's patcher output/threading internals that fasthub's monkey_patch does differently [Ass...]",
    'pools_test.TestIntPool.test_put_with_timed_out_getters':
        'behaviour of the alias differs from eventlet in pools_test [At...]',
    'queue_test.TestNoWait.test_get_nowait_unlock':
        'behaviour of the alias differs from eventlet in queue_test [AssertionErr...]',
    'queue_test.TestNoWait.test_put_nowait_unlock':
        'behaviour of the alias differs from eventlet in queue_test [AssertionErr...]',
    'queue_test.TestNoWait.test_wait_except':
        'behaviour of the alias differs from eventlet in queue_test [not reached: the module did not run to this test]',
    'queue_test.TestQueue.test_zero_length_queue_nonblocking_put':
        'behaviour of the alias differs from eventlet in queue_test',
    'semaphore_test.TestSemaphore.test_bounded_with_zero_limit':
        'behaviour of the alias differs from eventlet in semaphore_test',
    'socket_test.test_dns_methods_are_green':
        "eventlet's green socket internals [AssertionError: Exp...]",
    'socket_test.test_recv_into_type':
        "eventlet's green socket internals [ConnectionResetError: [Err...]",
    'socket_test.test_recv_type':
        "eventlet's green socket internals [ConnectionResetError: [Errno 10...]",
    'ssl_test.SSLTest.test_no_handshake_block_accept_loop':
        'behaviour of the alias differs from eventlet in ssl_test [test...]',
    'test__refcount.test_clean_exit':
        "eventlet greenlet refcount details [AttributeError: 'socket' ob...]",
    'test__refcount.test_timeout_exit':
        "eventlet greenlet refcount details [AttributeError: 'socket' ...]",
    'thread_test.Locals.test_no_leaking':
        'eventlet.green.thread/threading internals [AssertionError: 0 != 1]',
    'thread_test.test_compat_lock_release':
        'eventlet.green.thread/threading internals [AttributeError: modul...]',
    'thread_test.test_reinit':
        "eventlet.green.thread/threading internals [AttributeError: module 'fasthub.gr...]",
    'timeout_with_statement_test.Test.test_raising_self_true':
        'behaviour of the alias differs from eventlet in timeout_with_statement_test [A...]',
    'timer_test.TestTimer.test_copy':
        "eventlet.hubs.timer internals [AttributeError: 'Timer' ob...]",
    'timer_test.TestTimer.test_schedule':
        'eventlet.hubs.timer internals [fasthub._hub.LoopExit:...]',
    'tpool_test.TestTpool.test_callable':
        'eventlet.tpool internals (its worker threads and queues) [AssertionError: assert...]',
    'tpool_test.TestTpool.test_killall_remaining_results':
        'eventlet.tpool internals (its worker threads and queues) [Runti...]',
    'tpool_test.TestTpool.test_tpool_set_num_threads':
        'eventlet.tpool internals (its worker threads and queues) [Attribute...]',
    'tpool_test.TestTpool.test_wrap_dict':
        'eventlet.tpool internals (its worker threads and queues) [AssertionError: "{\'a\'...]',
    'websocket_new_test.TestWebSocket.test_client_invalid_packet_13':
        "exercises eventlet's RFC 6455 implementation details (extensions, close handshake internals) that fasthub.websocket does not share",
    'websocket_new_test.TestWebSocket.test_incomplete_headers_13':
        "exercises eventlet's RFC 6455 implementation details (extensions, close handshake internals) that fasthub.websocket does not share",
    'websocket_new_test.TestWebSocketWithCompression.test_accept_deflate_ext_window_max_bits_13':
        "exercises eventlet's RFC 6455 implementation details (extensions, close handshake internals) that fasthub.websocket does not share",
    'websocket_new_test.TestWebSocketWithCompression.test_client_compress_no_context_takeover_13':
        "exercises eventlet's RFC 6455 implementation details (extensions, close handshake internals) that fasthub.websocket does not share",
    'websocket_new_test.TestWebSocketWithCompression.test_client_compress_with_context_takeover_13':
        "exercises eventlet's RFC 6455 implementation details (extensions, close handshake internals) that fasthub.websocket does not share",
    'websocket_new_test.TestWebSocketWithCompression.test_compressed_send_recv_13':
        "exercises eventlet's RFC 6455 implementation details (extensions, close handshake internals) that fasthub.websocket does not share",
    'websocket_new_test.TestWebSocketWithCompression.test_compressed_send_recv_both_no_context_13':
        "exercises eventlet's RFC 6455 implementation details (extensions, close handshake internals) that fasthub.websocket does not share",
    'websocket_new_test.TestWebSocketWithCompression.test_compressed_send_recv_client_no_context_13':
        "exercises eventlet's RFC 6455 implementation details (extensions, close handshake internals) that fasthub.websocket does not share",
    'websocket_new_test.TestWebSocketWithCompression.test_compressed_send_recv_server_no_context_13':
        "exercises eventlet's RFC 6455 implementation details (extensions, close handshake internals) that fasthub.websocket does not share",
    'websocket_new_test.TestWebSocketWithCompression.test_large_frame_size_compressed_13':
        "exercises eventlet's RFC 6455 implementation details (extensions, close handshake internals) that fasthub.websocket does not share",
    'websocket_new_test.TestWebSocketWithCompression.test_large_frame_size_uncompressed_13':
        "exercises eventlet's RFC 6455 implementation details (extensions, close handshake internals) that fasthub.websocket does not share",
    'websocket_new_test.TestWebSocketWithCompression.test_server_compress_no_context_takeover_13':
        "exercises eventlet's RFC 6455 implementation details (extensions, close handshake internals) that fasthub.websocket does not share",
    'websocket_new_test.TestWebSocketWithCompression.test_server_compress_with_context_takeover_13':
        "exercises eventlet's RFC 6455 implementation details (extensions, close handshake internals) that fasthub.websocket does not share",
    'websocket_test.TestWebSocket.test_app_socket_errors_75':
        "exercises eventlet's WebSocket class internals (constructor/extensions, frame helpers) that fasthub.websocket does not share [as...]",
    'websocket_test.TestWebSocket.test_app_socket_errors_76':
        "exercises eventlet's WebSocket class internals (constructor/extensions, frame helpers) that fasthub.websocket does not share [as...]",
    'websocket_test.TestWebSocket.test_client_invalid_packet_76':
        "exercises eventlet's WebSocket class internals (constructor/extensions, frame helpers) that fasthub.websocket does not share",
    'websocket_test.TestWebSocket.test_close_idle':
        "exercises eventlet's WebSocket class internals (constructor/extensions, frame helpers) that fasthub.websocket does not share [AssertionErr...]",
    'websocket_test.TestWebSocket.test_correct_upgrade_request_75':
        "exercises eventlet's WebSocket class internals (constructor/extensions, frame helpers) that fasthub.websocket does not share",
    'websocket_test.TestWebSocket.test_correct_upgrade_request_76':
        "exercises eventlet's WebSocket class internals (constructor/extensions, frame helpers) that fasthub.websocket does not share",
    'websocket_test.TestWebSocket.test_empty_query_string':
        "exercises eventlet's WebSocket class internals (constructor/extensions, frame helpers) that fasthub.websocket does not share [Asse...]",
    'websocket_test.TestWebSocket.test_getting_messages_from_websocket_75':
        "exercises eventlet's WebSocket class internals (constructor/extensions, frame helpers) that fasthub.websocket does not share",
    'websocket_test.TestWebSocket.test_getting_messages_from_websocket_76':
        "exercises eventlet's WebSocket class internals (constructor/extensions, frame helpers) that fasthub.websocket does not share",
    'websocket_test.TestWebSocket.test_incomplete_headers_75':
        "exercises eventlet's WebSocket class internals (constructor/extensions, frame helpers) that fasthub.websocket does not share [A...]",
    'websocket_test.TestWebSocket.test_incomplete_headers_76':
        "exercises eventlet's WebSocket class internals (constructor/extensions, frame helpers) that fasthub.websocket does not share [A...]",
    'websocket_test.TestWebSocket.test_query_string':
        "exercises eventlet's WebSocket class internals (constructor/extensions, frame helpers) that fasthub.websocket does not share [AssertionE...]",
    'websocket_test.TestWebSocket.test_sending_messages_to_websocket_75':
        "exercises eventlet's WebSocket class internals (constructor/extensions, frame helpers) that fasthub.websocket does not share",
    'websocket_test.TestWebSocket.test_sending_messages_to_websocket_76':
        "exercises eventlet's WebSocket class internals (constructor/extensions, frame helpers) that fasthub.websocket does not share",
    'websocket_test.TestWebSocket.test_server_closing_connect_76':
        "exercises eventlet's WebSocket class internals (constructor/extensions, frame helpers) that fasthub.websocket does not share",
    'websocket_test.TestWebSocket.test_wrapped_wsgi':
        "exercises eventlet's WebSocket class internals (constructor/extensions, frame helpers) that fasthub.websocket does not share [AssertionE...]",
    'websocket_test.TestWebSocketObject.test_close_ws':
        "exercises eventlet's WebSocket class internals (constructor/extensions, frame helpers) that fasthub.websocket does not share [TypeErro...]",
    'websocket_test.TestWebSocketObject.test_recieve':
        "exercises eventlet's WebSocket class internals (constructor/extensions, frame helpers) that fasthub.websocket does not share [TypeError...]",
    'websocket_test.TestWebSocketObject.test_send_to_ws':
        "exercises eventlet's WebSocket class internals (constructor/extensions, frame helpers) that fasthub.websocket does not share [TypeEr...]",
    'websocket_test.TestWebSocketSSL.test_ssl_sending_messages':
        "exercises eventlet's WebSocket class internals (constructor/extensions, frame helpers) that fasthub.websocket does not share",
    'wsgi_test.IterableAlreadyHandledTest.test_iterable_app_keeps_socket_open_unless_connection_close_sent':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines)',
    'wsgi_test.ProxiedIterableAlreadyHandledTest.test_iterable_app_keeps_socket_open_unless_connection_close_sent':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines)',
    'wsgi_test.TestChunkedInput.test_chunked_readline_wsgi_not_override_minimum_chunk_size':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines)',
    'wsgi_test.TestChunkedInput.test_dirt':
        "fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines) [AssertionError: b'40...]",
    'wsgi_test.TestHttpd.test_012_ssl_server':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines) [ValueError: check...]',
    'wsgi_test.TestHttpd.test_013_empty_return':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines) [ValueError: che...]',
    'wsgi_test.TestHttpd.test_017_ssl_zeroreturnerror':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines) [ValueErr...]',
    'wsgi_test.TestHttpd.test_018b_http_10_keepalive_framing':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines) [A...]',
    'wsgi_test.TestHttpd.test_024_expect_100_continue':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines) [Assertio...]',
    'wsgi_test.TestHttpd.test_024a_expect_100_continue_with_headers':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines)',
    'wsgi_test.TestHttpd.test_024b_expect_100_continue_with_headers_multiple_chunked':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines)',
    'wsgi_test.TestHttpd.test_024c_expect_100_continue_with_headers_multiple_nonchunked':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines)',
    'wsgi_test.TestHttpd.test_025_accept_errors':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines) [AssertionError:]',
    'wsgi_test.TestHttpd.test_026_log_format':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines) [AssertionError: H...]',
    'wsgi_test.TestHttpd.test_030_reject_long_header_lines':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines) [Ass...]',
    'wsgi_test.TestHttpd.test_031_reject_large_headers':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines) [Asserti...]',
    'wsgi_test.TestHttpd.test_aborted_chunked_post_bad_chunks':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines) [...]',
    'wsgi_test.TestHttpd.test_aborted_chunked_post_between_chunks':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines)',
    'wsgi_test.TestHttpd.test_client_disconnect':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines) [AttributeError...]',
    'wsgi_test.TestHttpd.test_close_idle_connections_listen_socket_closed':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines)',
    'wsgi_test.TestHttpd.test_content_length_and_transfer_encoding_escape_hatch':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines)',
    'wsgi_test.TestHttpd.test_debug':
        "fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines) [AssertionError: b'500 Inte...]",
    'wsgi_test.TestHttpd.test_do_not_close_non_idle_connections':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines)',
    'wsgi_test.TestHttpd.test_env_header_stripping':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines) [AssertionEr...]',
    'wsgi_test.TestHttpd.test_header_name_capitalization':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines) [Asser...]',
    'wsgi_test.TestHttpd.test_headers_raw':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines) [AssertionError: asse...]',
    'wsgi_test.TestHttpd.test_log_unix_address':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines) [AssertionError:...]',
    'wsgi_test.TestHttpd.test_minimum_chunk_size_parameter_leaves_httpprotocol_class_member_intact':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines)',
    'wsgi_test.TestHttpd.test_no_transfer_encoding_in_empty_response':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines)',
    'wsgi_test.TestHttpd.test_non_latin1_response_header_value_raises':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines)',
    'wsgi_test.TestHttpd.test_partial_writes_are_handled':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines) [Attri...]',
    'wsgi_test.TestHttpd.test_server_connection_timeout_exception':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines)',
    'wsgi_test.TestHttpd.test_server_keepalive_sent_in_headers':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines)',
    'wsgi_test.TestHttpd.test_server_socket_timeout':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines) [tests.Test...]',
    'wsgi_test.TestHttpd.test_timeouts_in_app_call':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines) [AssertionEr...]',
    'wsgi_test.TestHttpd.test_timeouts_in_app_iter':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines) [AssertionEr...]',
    'wsgi_test.TestHttpd.test_unicode_with_nonascii_characters_raises_error':
        'fasthub.wsgi answers differently from eventlet.wsgi here (error statuses, 100-continue, header casing/limits, debug tracebacks, log lines)',
}
