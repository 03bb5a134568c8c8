"""eventlet tests (that pass on the real eventlet) expected to fail on fasthub's eventlet alias,
each with a one-line reason. Ids are ``module.Class.test`` (or ``module.test``) as in eventlet's
tests/ directory. The list only shrinks: run.py fails when a listed test passes.

Reasons name the eventlet behaviour or API the test depends on; the failure message seen on the last
run (CPython 3.11) follows in brackets where it helps.
"""

FAILURES = {
    'api_test.test_zero_second_sleep':
        'fasthub refuses time.sleep(0) inside a hub callback (BlockingInHubError); eventlet treats it as a no-op [AssertionError: Expected single line "pass" in stdout]',
    'env_test.test_hub_selects':
        "EVENTLET_HUB is ignored: fasthub's compiled hub cannot be replaced [AssertionError: assert b'eventlet.hubs.selects.Hub' in b'<eventlet Hub on <fasthub Hub backend=epoll]",
    'green_select_test.test_select_mark_file_as_reopened':
        "mocks eventlet hub bookkeeping (mark_as_reopened) that fasthub's hub does not have [fasthub.sync.timeout.Timeout: 0.5 seconds]",
    'greenio_test.TestGreenIoLong.test_multiple_readers':
        'fasthub always refuses two readers of one fd (ConcurrentUseError); hub_prevent_multiple_readers(False) is refused [ValueError: fasthub always prevents two green threads from reading one fd at once (ConcurrentUseErro]',
    'greenio_test.TestGreenSocket.test_blocking_accept_mark_as_reopened':
        "mocks eventlet hub bookkeeping (mark_as_reopened) that fasthub's hub does not have [AssertionError: assert False + where False = <MagicMock name='mark_as_reopened' id='140242104565328']",
    'greenio_test.TestGreenSocket.test_nonblocking_accept_mark_as_reopened':
        "mocks eventlet hub bookkeeping (mark_as_reopened) that fasthub's hub does not have [AssertionError: assert False + where False = <MagicMock name='mark_as_reopened' id='140242105451600']",
    'greenio_test.TestGreenSocket.test_skip_nonblocking':
        'fasthub green sockets are always non-blocking at the fd level [assert (2050 & (2048 | 2048)) == 0 + where 2048 = os.O_NONBLOCK + and 2048 = os.O_NDELAY]',
    'hub_test.TestDeadRunLoop.test_parent':
        "throws KeyboardInterrupt into the hub greenlet itself; fasthub's hub is not restartable that way [assert not True + where True = <fasthub GreenThread TestDeadRunLoop.test_parent.<locals>.dummyproc d]",
    'hub_test.TestHubBlockingDetector.test_block_detect':
        'hub_blocking_detection maps to fasthub.monitor, which raises BlockingTimeout (not RuntimeError) in the blocking code [tests.TestIsTakingTooLong: 2]',
    'hub_test.TestMultipleListenersCleanup.test_cleanup':
        'fasthub always refuses two readers of one fd (ConcurrentUseError) [ValueError: fasthub always prevents two green threads from reading one fd at once (ConcurrentUseErro]',
    'hub_test.test_use_hub_class':
        'use_hub(SomeClass) is accepted and ignored: fasthub\'s compiled hub cannot be replaced [AssertionError: Expected single line "pass" in stdout]',
    'patcher_test.ImportPatched.test_patch_a_module':
        'import_patched does not re-execute the non-stdlib modules its target imports (only the green stdlib counterparts) [AssertionError: "patcher <module \'fasthub.compat.eventlet.green.socket\' from \'/work/wt-eventlet/src/]',
    'patcher_test.Threading.test_greenlet':
        'fasthub gives real OS threads and spawn_n green threads a _DummyThread from current_thread(); eventlet gives Thread/_MainThread',
    'patcher_test.Threading.test_orig_thread':
        'fasthub gives real OS threads and spawn_n green threads a _DummyThread from current_thread(); eventlet gives Thread/_MainThread',
    'patcher_test.Threading.test_tpool':
        'fasthub gives real OS threads and spawn_n green threads a _DummyThread from current_thread(); eventlet gives Thread/_MainThread',
    'patcher_test.test_blocking_select_methods_are_deleted':
        'fasthub gives select.poll/epoll green versions; eventlet deletes them [AssertionError: Expected single line "pass" in stdout]',
    'patcher_test.test_builtin':
        'eventlet\'s builtins=True patching (green open() reporting notify_opened) is not provided [AssertionError: Expected single line "pass" in stdout]',
    'patcher_test.test_fork_after_monkey_patch':
        "the test leaves real OS threads spinning after an _active count mismatch (fasthub's patched threading and the green copy keep separate _active tables) [AssertionError: timed out]",
    'patcher_test.test_fork_after_monkey_patch_threading':
        'the test leaves real OS threads spinning after an _active count mismatch (fasthub\'s patched threading and the green copy keep separate _active tables) [AssertionError: Expected single line "pass" in stdout]',
    'patcher_test.test_fork_in_thread_after_monkey_patch_threading':
        'the test leaves real OS threads spinning after an _active count mismatch (fasthub\'s patched threading and the green copy keep separate _active tables) [AssertionError: Expected single line "pass" in stdout]',
    'patcher_test.test_import_patched_defaults':
        'import_patched does not re-execute the non-stdlib modules its target imports (only the green stdlib counterparts) [AssertionError: Expected single line "pass" in stdout]',
    'patcher_test.test_import_patched_handles_sub_modules':
        'import_patched does not re-execute the non-stdlib modules its target imports (only the green stdlib counterparts) [AssertionError: Expected single line "pass" in stdout]',
    'patcher_test.test_patcher_existing_locks':
        'fasthub warns about locks made before monkey_patch() (LatePatchWarning on stderr) where eventlet upgrades them silently [AssertionError: Expected single line "pass" in stdout]',
    'patcher_test.test_patcher_existing_logging_module_lock':
        'fasthub warns about locks made before monkey_patch() (LatePatchWarning on stderr) where eventlet upgrades them silently [AssertionError: Expected single line "pass" in stdout]',
    'queue_test.TestNoWait.test_get_nowait_unlock':
        'a channel hand-off from a hub callback resumes the putter one hub iteration later than eventlet [AssertionError: <fasthub GreenThread _ChannelMixin.put running at 0x7ff957402b90> assert False + whe]',
    'socket_test.test_dns_methods_are_green':
        "monkey_patch() keeps fasthub's resolver (green.dns) in socket, not eventlet.support.greendns [assert <function gethostbyname at 0x7fbd79ab8400> is <function gethostbyname at 0x7fbd797afd80> + wh]",
    'ssl_test.SSLTest.test_no_handshake_block_accept_loop':
        "fasthub's green SSL accept loop differs (handshake handling in accept) [tests.TestIsTakingTooLong: 2]",
    'thread_test.Locals.test_no_leaking':
        "expects eventlet's corolocal to keep the last green thread's value alive; fasthub's local frees it [AssertionError: 0 != 1]",
    'tpool_test.TestTpool.test_killall_remaining_results':
        'fasthub.tpool.killall() fails jobs still queued instead of running them [RuntimeError: fasthub.tpool.killall() stopped the pool before this job ran]',
    'websocket_new_test.TestWebSocketWithCompression.test_accept_deflate_ext_window_max_bits_13':
        "uses eventlet's private RFC6455WebSocket frame methods (_pack_message/_recv_frame) or its reserved-opcode handling [assert None is not None]",
    'websocket_new_test.TestWebSocketWithCompression.test_client_compress_no_context_takeover_13':
        "uses eventlet's private RFC6455WebSocket frame methods (_pack_message/_recv_frame) or its reserved-opcode handling [AttributeError: 'RFC6455WebSocket' object has no attribute '_pack_message']",
    'websocket_new_test.TestWebSocketWithCompression.test_client_compress_with_context_takeover_13':
        "uses eventlet's private RFC6455WebSocket frame methods (_pack_message/_recv_frame) or its reserved-opcode handling [AttributeError: 'RFC6455WebSocket' object has no attribute '_pack_message']",
    'websocket_new_test.TestWebSocketWithCompression.test_large_frame_size_compressed_13':
        "checks eventlet's exact close frame text for an over-long frame (_remote_close_data) [AssertionError: assert b'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx]",
    'websocket_new_test.TestWebSocketWithCompression.test_large_frame_size_uncompressed_13':
        "checks eventlet's exact close frame text for an over-long frame (_remote_close_data) [AttributeError: 'RFC6455WebSocket' object has no attribute '_remote_close_data']",
    'websocket_new_test.TestWebSocketWithCompression.test_server_compress_no_context_takeover_13':
        "uses eventlet's private RFC6455WebSocket frame methods (_pack_message/_recv_frame) or its reserved-opcode handling [AttributeError: 'RFC6455WebSocket' object has no attribute '_pack_message']",
    'websocket_new_test.TestWebSocketWithCompression.test_server_compress_with_context_takeover_13':
        "uses eventlet's private RFC6455WebSocket frame methods (_pack_message/_recv_frame) or its reserved-opcode handling [AttributeError: 'RFC6455WebSocket' object has no attribute '_recv_frame']",
    'wsgi_test.IterableAlreadyHandledTest.test_iterable_app_keeps_socket_open_unless_connection_close_sent':
        "fasthub.wsgi's HTTP handling differs from eventlet.wsgi here [AssertionError: None != 'chunked']",
    'wsgi_test.ProxiedIterableAlreadyHandledTest.test_iterable_app_keeps_socket_open_unless_connection_close_sent':
        "fasthub.wsgi's HTTP handling differs from eventlet.wsgi here [AssertionError: None != 'chunked']",
    'wsgi_test.TestChunkedInput.test_dirt':
        "fasthub.wsgi's HTTP handling differs from eventlet.wsgi here [AssertionError: b'400 Bad Request: fasthub.wsgi: malformed [45 chars]s)\\n' != b'pong']",
    'wsgi_test.TestHttpd.test_017_ssl_zeroreturnerror':
        "fasthub.wsgi's HTTP handling differs from eventlet.wsgi here [tests.TestIsTakingTooLong: 2]",
    'wsgi_test.TestHttpd.test_018b_http_10_keepalive_framing':
        "fasthub.wsgi's HTTP handling differs from eventlet.wsgi here [AssertionError: 'keep-alive' != 'close' - keep-alive + close]",
    'wsgi_test.TestHttpd.test_024b_expect_100_continue_with_headers_multiple_chunked':
        "reads a second chunked body after the first one's last chunk (eventlet restarts chunked decoding); fasthub.wsgi's wsgi.input ends at the last chunk [AssertionError: b'first message' != b'first message, second message']",
    'wsgi_test.TestHttpd.test_025_accept_errors':
        "fasthub.wsgi's HTTP handling differs from eventlet.wsgi here [AssertionError: assert 'Invalid argument' in '']",
    'wsgi_test.TestHttpd.test_030_reject_long_header_lines':
        "fasthub.wsgi answers an over-long header line with its own status (431) instead of eventlet's 'HTTP/1.0 400 Header Line Too Long' [AssertionError: 'HTTP/1.1 200 OK' != 'HTTP/1.0 400 Header Line Too Long' - HTTP/1.1 200 OK + HTTP/1.]",
    'wsgi_test.TestHttpd.test_031_reject_large_headers':
        "fasthub.wsgi answers too many header bytes with 431 instead of eventlet's 'HTTP/1.0 400 Headers Too Large' [AssertionError: 'HTTP/1.1 431 Request Header Fields Too Large' != 'HTTP/1.0 400 Headers Too Large' -]",
    'wsgi_test.TestHttpd.test_aborted_chunked_post_bad_chunks':
        "fasthub.wsgi's HTTP handling differs from eventlet.wsgi here [AssertionError: b'wrong exception: fasthub.wsgi: malformed [37 chars]ize)' != b'ok']",
    'wsgi_test.TestHttpd.test_aborted_chunked_post_between_chunks':
        "fasthub.wsgi's HTTP handling differs from eventlet.wsgi here [AssertionError: b'wrong exception: fasthub.wsgi: the client[56 chars]body' != b'ok']",
    'wsgi_test.TestHttpd.test_client_disconnect':
        "uses eventlet's wsgi.Server class (its HttpProtocol internals), which the alias does not reproduce [AttributeError: module 'fasthub.compat.eventlet.wsgi' has no attribute 'Server']",
    'wsgi_test.TestHttpd.test_content_length_and_transfer_encoding_escape_hatch':
        "fasthub.wsgi's HTTP handling differs from eventlet.wsgi here [AssertionError: Received status 'HTTP/1.1 400 Bad Request' assert 'HTTP/1.1 400 Bad Request' == 'HTT]",
    'wsgi_test.TestHttpd.test_debug':
        "eventlet's debug=True sends the traceback to the client; fasthub never sends tracebacks (security) [AssertionError: b'500 Internal Server Error: the server failed to handle this request\\n' != b'']",
    'wsgi_test.TestHttpd.test_env_header_stripping':
        "fasthub.wsgi's HTTP handling differs from eventlet.wsgi here [AssertionError: assert b'HTTP_HOST: ...P: \\xc2\\xa0\\n' == b'HTTP_HOST: ...P: \\xc2\\xa0\\n' At index 62 ]",
    'wsgi_test.TestHttpd.test_header_name_capitalization':
        "fasthub.wsgi refuses non-token (latin-1) response header names with a 500 [AssertionError: 'HTTP/1.1 500 Internal Server Error' != 'HTTP/1.1 200 oK' - HTTP/1.1 500 Internal Se]",
    'wsgi_test.TestHttpd.test_headers_raw':
        "fasthub.wsgi's HTTP handling differs from eventlet.wsgi here [AssertionError: assert 'HTTP/1.1 500... Server Error' == 'HTTP/1.1 200 OK' - HTTP/1.1 200 OK + HTTP/]",
    'wsgi_test.TestHttpd.test_log_unix_address':
        "fasthub.wsgi logs a Unix-socket client differently from eventlet's 'unix -' [assert '\\nunix -' in '(24098) wsgi starting up on http:/tmp/tmpv1sjqyn3eventlet_test_log_unix_addres]",
    'wsgi_test.TestHttpd.test_partial_writes_are_handled':
        "fasthub.wsgi's HTTP handling differs from eventlet.wsgi here [AssertionError: assert b'500 Interna...his request\\n' == b'asd' At index 0 diff: b'5' != b'a' Use -v]",
    'wsgi_test.TestHttpd.test_server_connection_timeout_exception':
        'fasthub.wsgi\'s HTTP handling differs from eventlet.wsgi here [AssertionError: Expected single line "pass" in stdout]',
    'wsgi_test.TestHttpd.test_server_socket_timeout':
        "fasthub.wsgi's HTTP handling differs from eventlet.wsgi here [tests.TestIsTakingTooLong: 2]",
    'wsgi_test.TestHttpd.test_timeouts_in_app_iter':
        "fasthub.wsgi's HTTP handling differs from eventlet.wsgi here [AssertionError: assert 'Traceback' in '(24098) wsgi starting up on http://127.0.0.1:41499\\n' + where]",
}
