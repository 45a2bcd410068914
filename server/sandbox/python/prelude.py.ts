/**
 * The Python half of the Python sandbox, run once per process after Pyodide
 * loads. It talks to the worker only through JSON strings (no JsProxy ever
 * reaches user code) and exposes its entry points as `sb_*` functions.
 *
 * In-process restrictions here are a second line: Python cannot be sandboxed
 * from inside Python, so the process flags (see launch.ts) are what keep the
 * host safe, and `sb_cleanup` asks for the process to be retired whenever it
 * cannot prove the next tool sees pristine interpreter state.
 */
export const PRELUDE = String.raw`
import ast
import builtins
import gc
import json
import sys
import types
from _json import encode_basestring_ascii as _quote
from itertools import chain as _chain
from operator import is_ as _is, methodcaller as _methodcaller

TOOL_FILENAME = '<tool>'

SAFE_DEFAULT_IMPORTS = frozenset({
    'json', 'math', 'cmath', 'datetime', 're', 'random', 'string', 'decimal', 'fractions',
    'statistics', 'itertools', 'functools', 'collections', 'time', 'uuid', 'hashlib', 'hmac',
    'base64', 'binascii', 'urllib.parse', 'typing', 'dataclasses', 'enum', 'calendar', 'zoneinfo',
    'textwrap', 'bisect', 'heapq', 'html', 'unicodedata', 'difflib', 'numbers', 'copy', 'pprint',
    'ipaddress', 'csv', 'struct', 'zlib',
})

# Refused even when a tool lists them: they reach the interpreter, the
# JavaScript host, the file system, other processes or the network, or they
# undo the restrictions below (import machinery, introspection, eval helpers).
ALWAYS_REFUSED = frozenset({
    'js', 'pyodide', 'pyodide_js', '_pyodide', '_pyodide_core', 'micropip', 'pyodide_http',
    'os', 'posix', 'nt', 'sys', 'builtins', 'subprocess', 'socket', '_socket', 'ssl', '_ssl', 'select',
    'selectors', 'ctypes', '_ctypes', 'importlib', 'imp', 'zipimport', 'pkgutil', 'runpy', 'code',
    'codeop', 'gc', 'inspect', 'io', '_io', 'marshal', 'pickle', '_pickle', 'shelve', 'dill',
    'threading', '_thread', 'multiprocessing', 'concurrent', 'asyncio', 'signal', '_signal', 'pathlib',
    'shutil', 'tempfile', 'glob', 'fcntl', 'resource', 'pty', 'tty', 'termios', 'sysconfig', 'site',
    'operator', '_operator', 'types', 'traceback', 'linecache', 'pdb', 'bdb', 'trace', 'tracemalloc',
    'faulthandler', 'weakref', '_weakref', 'copyreg', 'atexit', 'warnings', 'annotationlib', 'dis',
    'opcode', 'ast', '_ast', 'symtable', 'http', 'urllib.request', 'urllib.error', 'ftplib',
    'smtplib', 'poplib', 'imaplib', 'webbrowser', 'xmlrpc', 'wsgiref', 'socketserver', 'mmap',
    'logging', 'unittest', 'doctest', 'pydoc', 'sqlite3', 'tkinter', 'venv', 'ensurepip',
    'string.templatelib', 'encodings', 'codecs', '_imp', '_frozen_importlib',
    '_frozen_importlib_external', 'abc', '_abc', 'contextvars', '_contextvars',
})

# Attribute routes from any object to frames, module globals, the builtins
# module or the class graph. Python-level sandboxes leak through exactly these.
SAFE_DUNDERS = frozenset({
    '__init__', '__name__', '__doc__', '__qualname__', '__str__', '__repr__', '__len__',
    '__iter__', '__next__', '__enter__', '__exit__', '__aenter__', '__aexit__', '__eq__',
    '__hash__', '__lt__', '__le__', '__gt__', '__ge__', '__ne__', '__contains__', '__getitem__',
    '__setitem__', '__delitem__', '__add__', '__sub__', '__mul__', '__truediv__', '__call__',
    '__post_init__', '__bool__', '__slots__', '__all__', '__version__',
})
BANNED_ATTR_PREFIXES = ('f_', 'tb_', 'gi_', 'cr_', 'ag_', 'co_', 'func_')
BANNED_ATTRS = frozenset({'evaluate', '_evaluate'})
# Module attributes that evaluate strings (typing's forward references, type
# hints) or copy attributes by caller-chosen name (update_wrapper). typing is
# offered as an allow-list because its evaluation helpers keep multiplying.
DENIED_MODULE_ATTRS = {
    'string': frozenset({'Formatter'}),
    'dataclasses': frozenset({'make_dataclass'}),
    'functools': frozenset({'singledispatch', 'singledispatchmethod', 'update_wrapper', 'wraps'}),
}
MODULE_ATTR_ALLOWLIST = {
    'typing': frozenset({
        'Any', 'Dict', 'List', 'Optional', 'Union', 'Tuple', 'Set', 'FrozenSet', 'Callable',
        'Iterable', 'Iterator', 'Generator', 'Mapping', 'MutableMapping', 'Sequence',
        'MutableSequence', 'Literal', 'Final', 'TypeVar', 'Generic', 'Protocol', 'cast',
        'overload', 'TYPE_CHECKING', 'NamedTuple', 'TypedDict', 'DefaultDict', 'Counter', 'Deque',
        'Type', 'NoReturn', 'Never', 'Self', 'Awaitable', 'Coroutine', 'AsyncIterator', 'Annotated',
        'ClassVar', 'NotRequired', 'Required', 'Hashable', 'Sized', 'Collection', 'Container',
        'AbstractSet', 'MutableSet', 'OrderedDict', 'ChainMap', 'SupportsInt', 'SupportsFloat',
        'TypeAlias', 'ParamSpec', 'Concatenate', 'LiteralString', 'Unpack', 'TypeGuard', 'TypeIs',
        'ReadOnly', 'override', 'final', 'runtime_checkable', 'AnyStr', 'Text', 'NewType',
    }),
}


class ImportNotAllowed(ImportError):
    pass


class FetchError(Exception):
    pass


class _Refusal(Exception):
    """A static policy violation found before the tool runs."""

    def __init__(self, message, line=None, column=None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def _banned_attr(name):
    if not isinstance(name, str):
        return False
    if name.startswith('__'):
        return name not in SAFE_DUNDERS
    return name in BANNED_ATTRS or name.startswith(BANNED_ATTR_PREFIXES)


def _policy_issues(tree):
    issues = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Attribute):
            names.append(node.attr)
        elif isinstance(node, ast.MatchClass):
            names.extend(node.kwd_attrs)
        if isinstance(node, ast.Name) and node.id.startswith('__') and node.id != '__name__':
            issues.append(('name ' + repr(node.id) + ' is not available in tools', node))
        for name in names:
            if _banned_attr(name):
                issues.append(('attribute ' + repr(name) + ' is not accessible in tools', node))
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if isinstance(node, ast.ImportFrom) and node.level:
                issues.append(('relative imports are not allowed', node))
                continue
            modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or '']
            for module in modules:
                if _always_refused(module):
                    issues.append(('import of ' + repr(module) + ' is not allowed in tools', node))
        if isinstance(node, ast.Global):
            issues.extend(('name ' + repr(n) + ' is not available in tools', node) for n in node.names if n.startswith('__'))
    return issues


def _always_refused(name):
    parts = name.split('.')
    return any('.'.join(parts[: i + 1]) in ALWAYS_REFUSED for i in range(len(parts)))


def _import_allowed(name, allowed):
    if _always_refused(name):
        return False
    parts = name.split('.')
    if any('.'.join(parts[: i + 1]) in allowed for i in range(len(parts))):
        return True
    # A package that only serves as the parent of an allowed submodule (urllib for urllib.parse).
    return any(entry.startswith(name + '.') for entry in allowed)


def _make_sleep(deadline):
    import time
    real_sleep = time.sleep

    def sleep(seconds):
        # Pyodide's time.sleep spins in C where the interrupt is never checked.
        remaining = deadline - time.time()
        if seconds > remaining:
            real_sleep(max(0.0, remaining))
            raise KeyboardInterrupt
        real_sleep(seconds)

    return sleep


def _make_view(module, allowed, cache):
    name = module.__name__
    view = cache.get(name)
    if view is not None:
        return view
    view = types.ModuleType(name, module.__doc__ if isinstance(module.__doc__, str) else None)
    cache[name] = view
    if name == 'time':
        view.sleep = cache['<sleep>']
    denied = DENIED_MODULE_ATTRS.get(name, frozenset())
    only = MODULE_ATTR_ALLOWLIST.get(name)
    for key, value in list(module.__dict__.items()):
        if key.startswith('_') or key in denied or (only is not None and key not in only) or hasattr(view, key):
            continue
        if isinstance(value, types.ModuleType):
            if value.__name__.startswith(name + '.') and _import_allowed(value.__name__, allowed):
                setattr(view, key, _make_view(value, allowed, cache))
            continue
        setattr(view, key, value)
    return view


_real_import = builtins.__import__


def _make_importer(allowed, cache):
    def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
        if level:
            raise ImportNotAllowed('relative imports are not allowed in tools')
        if not isinstance(name, str) or not _import_allowed(name, allowed):
            raise ImportNotAllowed(
                'import of ' + repr(name) + ' is not allowed; allowed modules: ' + ', '.join(sorted(allowed))
            )
        for item in fromlist or ():
            if isinstance(item, str) and item != '*' and not item.startswith('_'):
                full = name + '.' + item
                if full in sys.modules or _is_package(name):
                    if _always_refused(full):
                        raise ImportNotAllowed('import of ' + repr(full) + ' is not allowed')
        module = _real_import(name, None, None, fromlist, 0)
        return _make_view(module, allowed, cache)

    return guarded_import


def _is_package(name):
    module = sys.modules.get(name)
    return module is not None and hasattr(module, '__path__')


def _guarded_getattr(obj, name, *default):
    if _banned_attr(name):
        raise AttributeError('attribute ' + repr(name) + ' is not accessible in tools')
    return getattr(obj, name, *default)


def _guarded_hasattr(obj, name):
    if _banned_attr(name):
        return False
    return hasattr(obj, name)


def _guarded_setattr(obj, name, value):
    if _banned_attr(name):
        raise AttributeError('attribute ' + repr(name) + ' is not accessible in tools')
    setattr(obj, name, value)


def _guarded_delattr(obj, name):
    if _banned_attr(name):
        raise AttributeError('attribute ' + repr(name) + ' is not accessible in tools')
    delattr(obj, name)


def _no_files(*args, **kwargs):
    raise PermissionError('file system access is not available in tools')


def _unavailable(name):
    def refuse(*args, **kwargs):
        raise NameError(repr(name) + ' is not available in tools')

    return refuse


REMOVED_BUILTINS = (
    'eval', 'exec', 'compile', 'breakpoint', 'input', 'globals', 'locals', 'vars', 'help',
    'exit', 'quit', 'copyright', 'credits', 'license', '__loader__', '__spec__', '__debug__',
    '__import__', 'memoryview', 'aiter', 'anext',
)


class LogBuffer:
    def __init__(self, max_lines, max_bytes, max_line_bytes, marker):
        self.lines = []
        self.bytes = 0
        self.truncated = False
        self.max_lines = max_lines
        self.max_bytes = max_bytes
        self.max_line_bytes = max_line_bytes
        self.marker = marker

    def add(self, text):
        if self.truncated:
            return
        for line in text.split('\n'):
            encoded = line.encode('utf-8', 'replace')
            if len(encoded) > self.max_line_bytes:
                line = encoded[: self.max_line_bytes].decode('utf-8', 'ignore')
                encoded = line.encode('utf-8')
            if len(self.lines) >= self.max_lines or self.bytes + len(encoded) > self.max_bytes:
                self.truncated = True
                self.lines.append(self.marker)
                return
            self.lines.append(line)
            self.bytes += len(encoded)


def _make_print(logs):
    def captured_print(*args, sep=' ', end='\n', file=None, flush=False):
        if logs.truncated:
            return
        text = (' ' if sep is None else str(sep)).join(str(arg) for arg in args)
        logs.add(text[: logs.max_line_bytes * 2] + ('' if end is None else str(end)).rstrip('\n'))

    return captured_print


class Response:
    """What await fetch(...) returns."""

    def __init__(self, status, headers, text):
        self.status = status
        self.headers = types.MappingProxyType(dict(headers))
        self.text = text
        self.ok = 200 <= status < 300

    def json(self):
        return json.loads(self.text)

    def __repr__(self):
        return '<Response status=' + str(self.status) + '>'


class _HostCall:
    def __init__(self, request):
        self.request = request

    def __await__(self):
        response = yield self
        return response


def _normalise_request(url, method, headers, body, json_body):
    if not isinstance(url, str):
        raise TypeError('fetch() url must be a string')
    if not isinstance(method, str):
        raise TypeError('fetch() method must be a string')
    clean_headers = {}
    for key, value in dict(headers or {}).items():
        clean_headers[str(key)] = str(value)
    if json_body is not None:
        body = json.dumps(json_body)
        clean_headers.setdefault('content-type', 'application/json')
    if body is not None and not isinstance(body, str):
        if isinstance(body, (bytes, bytearray)):
            body = bytes(body).decode('utf-8')
        else:
            raise TypeError('fetch() body must be a string, bytes or use json=')
    request = {'url': url, 'method': method.upper(), 'headers': clean_headers}
    if body is not None:
        request['body'] = body
    return request


async def fetch(url, method='GET', headers=None, body=None, json=None):
    """Sends an HTTP request through the host (which applies the SSRF policy)."""
    return await _HostCall(_normalise_request(url, method, headers, body, json))


class Http:
    async def request(self, method, url, headers=None, body=None, json=None):
        return await fetch(url, method=method, headers=headers, body=body, json=json)

    async def get(self, url, headers=None):
        return await fetch(url, 'GET', headers)

    async def delete(self, url, headers=None):
        return await fetch(url, 'DELETE', headers)

    async def post(self, url, headers=None, body=None, json=None):
        return await fetch(url, 'POST', headers, body, json)

    async def put(self, url, headers=None, body=None, json=None):
        return await fetch(url, 'PUT', headers, body, json)

    async def patch(self, url, headers=None, body=None, json=None):
        return await fetch(url, 'PATCH', headers, body, json)


_base_builtins = None


def _build_builtins(allowed, logs, view_cache):
    table = dict(_base_builtins)
    for name in REMOVED_BUILTINS:
        table.pop(name, None)
    for name in ('eval', 'exec', 'compile', 'globals', 'locals', 'vars', 'breakpoint', 'input'):
        table[name] = _unavailable(name)
    table['__import__'] = _make_importer(allowed, view_cache)
    table['open'] = _no_files
    table['print'] = _make_print(logs)
    table['getattr'] = _guarded_getattr
    table['hasattr'] = _guarded_hasattr
    table['setattr'] = _guarded_setattr
    table['delattr'] = _guarded_delattr
    table['ImportNotAllowed'] = ImportNotAllowed
    table['FetchError'] = FetchError
    return table


# ---------------------------------------------------------------- job state

_job = None


def _error(code, message, line=None, column=None):
    error = {'code': code, 'message': str(message)[:4000]}
    if isinstance(line, int) and line >= 0:
        error['line'] = line
    if isinstance(column, int) and column >= 0:
        error['column'] = column
    return error


def _user_position(exc):
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == TOOL_FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    if line is None and isinstance(exc, SyntaxError) and exc.filename == TOOL_FILENAME:
        line = exc.lineno
    return line


def _describe(exc):
    text = str(exc)
    name = type(exc).__name__
    return name + ': ' + text if text else name


def _classify(exc):
    if isinstance(exc, KeyboardInterrupt):
        return _error('TIMEOUT', 'the tool ran past its deadline')
    if isinstance(exc, MemoryError):
        return _error('MEMORY_LIMIT', 'the tool ran out of memory', _user_position(exc))
    if isinstance(exc, ImportNotAllowed):
        return _error('IMPORT_NOT_ALLOWED', str(exc), _user_position(exc))
    return _error('FUNCTION_ERROR', _describe(exc), _user_position(exc))


def _wire(value):
    """JSON for replies to the worker, built only from immutable builtins so a
    tool that patched the json classes cannot corrupt the protocol."""
    if value is None:
        return 'null'
    if value is True:
        return 'true'
    if value is False:
        return 'false'
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, str):
        return _quote(str.__str__(value))
    if isinstance(value, (list, tuple)):
        return '[' + ','.join([_wire(item) for item in value]) + ']'
    if isinstance(value, dict):
        return '{' + ','.join([_quote(str.__str__(key)) + ':' + _wire(item) for key, item in dict.items(value)]) + '}'
    raise TypeError('unexpected value in a sandbox reply')


def _finish(outcome):
    global _job
    job = _job
    _job = None
    outcome['state'] = 'done'
    outcome['logs'] = list(job['logs'].lines) if job else []
    if job and isinstance(outcome.get('error'), dict) and outcome['error']['code'] == 'TIMEOUT':
        outcome['interrupted'] = True
    return _wire(outcome)


def _nested_deeper_than(value, limit):
    # Iterative: the C encoder would overflow the wasm stack (a fatal Pyodide error) first.
    stack = [(value, 0)]
    seen = 0
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list, tuple)):
            if depth >= limit:
                return True
            seen += 1
            if seen > 1_000_000:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def _encode_result(value, max_bytes, max_depth):
    if isinstance(value, dict) and 'success' in value:
        result = value
    else:
        result = {'success': True, 'message': '', 'data': value}
    if _nested_deeper_than(result, max_depth + 1):
        return None, _error('INVALID_RESULT', 'the result is nested deeper than ' + str(max_depth) + ' levels')
    try:
        text = json.dumps(result, allow_nan=False, ensure_ascii=False, separators=(',', ':'))
    except RecursionError:
        return None, _error('INVALID_RESULT', 'the result is nested too deeply')
    except (TypeError, ValueError) as exc:
        return None, _error('INVALID_RESULT', 'the result is not JSON-serialisable: ' + str(exc))
    size = len(text.encode('utf-8'))
    if size > max_bytes:
        return None, _error('INVALID_RESULT', 'the result is ' + str(size) + ' bytes; the limit is ' + str(max_bytes))
    return text, None


def _returned(value):
    # The worker answers with sb_finish, once it has checked the shared classes.
    _job['value'] = value
    return '{"state":"returned"}'


def sb_finish(proven):
    """Encodes the value the tool returned. proven names the groups of dicts
    the worker proved untouched (see sb_dict_listing); anything else is checked here."""
    value = _job['value']
    _job['value'] = None
    if 'classes' not in proven.split():
        _restore_classes()  # the tool's own class patches must not shape its encoded result
    text, error = _encode_result(value, _job['max_result_bytes'], _job['max_result_depth'])
    if error is not None:
        return _finish({'ok': False, 'error': error})
    # The value travels as JSON text so the worker never walks Python objects.
    return _finish({'ok': True, 'value_json': text})


def _advance(send_value=None, throw=None):
    job = _job
    coro = job['coro']
    try:
        if throw is not None:
            awaited = coro.throw(throw)
        else:
            awaited = coro.send(send_value)
    except StopIteration as stop:
        job['coro'] = None
        return _returned(stop.value)
    except BaseException as exc:
        job['coro'] = None
        return _finish({'ok': False, 'error': _classify(exc)})
    if not isinstance(awaited, _HostCall):
        job['coro'] = None
        coro.close()
        return _finish({'ok': False, 'error': _error(
            'FUNCTION_ERROR',
            'only fetch()/http.* can be awaited inside tools (got ' + type(awaited).__name__ + ')',
        )})
    job['fetches'] += 1
    if job['fetches'] > job['max_fetches']:
        return _advance(throw=FetchError('too many fetch calls (limit ' + str(job['max_fetches']) + ')'))
    return _wire({'state': 'fetch', 'request': awaited.request})


# Code objects of tools that passed the policy, by their exact source. The same
# text always compiles to the same immutable code object, and tools can reach
# neither code objects nor frames (co_*, f_*, __code__ are refused), so sharing
# one between runs of the same source carries nothing from one run to the next;
# every run still executes it in a fresh namespace. Small, because whatever it
# holds lives in the heap that every job's memory limit is measured against.
_compiled = {}
_compiled_chars = 0
MAX_COMPILED = 64
MAX_COMPILED_CHARS = 256 * 1024
MAX_COMPILED_SOURCE_CHARS = 32 * 1024


def _remember(source, code):
    global _compiled_chars
    if len(source) > MAX_COMPILED_SOURCE_CHARS:
        return
    while _compiled and (len(_compiled) >= MAX_COMPILED or _compiled_chars + len(source) > MAX_COMPILED_CHARS):
        oldest = next(iter(_compiled))
        del _compiled[oldest]
        _compiled_chars -= len(oldest)
    _compiled[source] = code
    _compiled_chars += len(source)


def sb_start(job_json):
    """Compiles and starts a job. Returns the JSON of a finished outcome, of a pending
    fetch, or of a returned value waiting for sb_finish."""
    global _job
    spec = json.loads(job_json)
    logs = LogBuffer(spec['maxLogLines'], spec['maxLogBytes'], spec['maxLogLineBytes'], spec['logTruncatedMarker'])
    allowed = frozenset(SAFE_DEFAULT_IMPORTS | {str(name) for name in spec['allowedImports']})
    _job = {
        'logs': logs, 'coro': None, 'value': None, 'fetches': 0, 'max_fetches': spec['maxFetches'],
        'max_result_bytes': spec['maxResultBytes'], 'max_result_depth': spec['maxResultDepth'],
    }
    source = spec['code']
    code = _compiled.pop(source, None)
    if code is not None:
        _compiled[source] = code  # most recently used last
    else:
        try:
            tree = ast.parse(source, TOOL_FILENAME, 'exec')
        except SyntaxError as exc:
            return _finish({'ok': False, 'error': _error('INVALID_CONFIGURATION', 'SyntaxError: ' + str(exc.msg), exc.lineno, exc.offset)})
        issues = _policy_issues(tree)
        if issues:
            message, node = issues[0]
            error_code = 'IMPORT_NOT_ALLOWED' if message.startswith('import of') else 'INVALID_CONFIGURATION'
            return _finish({'ok': False, 'error': _error(error_code, message, getattr(node, 'lineno', None), getattr(node, 'col_offset', -1) + 1)})
    view_cache = {'<sleep>': _make_sleep(spec['deadline'] / 1000)}
    namespace = {
        '__builtins__': _build_builtins(allowed, logs, view_cache),
        '__name__': 'tool',
        'fetch': fetch,
        'http': Http(),
        'Response': Response,
        'secrets': types.MappingProxyType(dict(spec['secrets'])),
    }
    try:
        if code is None:
            code = compile(tree, TOOL_FILENAME, 'exec', dont_inherit=True)
            _remember(source, code)
        exec(code, namespace)
        entry = namespace.get('execute_tool')
        if not callable(entry):
            return _finish({'ok': False, 'error': _error('INVALID_CONFIGURATION', 'the code must define a function execute_tool(parameters, context)')})
        outcome = _call_entry(entry, spec['parameters'], spec['context'])
    except BaseException as exc:
        return _finish({'ok': False, 'error': _classify(exc)})
    if isinstance(outcome, types.CoroutineType):
        _job['coro'] = outcome
        return _advance()
    return _returned(outcome)


def _call_entry(entry, parameters, context):
    code = getattr(entry, '__code__', None)
    if code is not None and not code.co_flags & 0x04:
        positional = code.co_argcount
        if positional == 0:
            return entry()
        if positional == 1:
            return entry(parameters)
    return entry(parameters, context)


def sb_resume(response_json):
    """Feeds a bridged response (or error) back into the awaiting coroutine."""
    reply = json.loads(response_json)
    if 'error' in reply:
        return _advance(throw=FetchError(str(reply['error'])))
    response = reply['response']
    return _advance(send_value=Response(int(response['status']), response['headers'], response['body']))


def sb_abandon():
    """Drops a job without running any more of its code (no coroutine.close())."""
    global _job
    _job = None


# ---------------------------------------------------------------- validation

def sb_validate(code):
    issues = []
    try:
        tree = ast.parse(code, TOOL_FILENAME, 'exec')
    except SyntaxError as exc:
        return _wire([{'message': 'SyntaxError: ' + str(exc.msg), 'line': exc.lineno or 0, 'column': exc.offset or 0}])
    try:
        compile(tree, TOOL_FILENAME, 'exec', dont_inherit=True)
    except SyntaxError as exc:
        issues.append({'message': 'SyntaxError: ' + str(exc.msg), 'line': exc.lineno or 0, 'column': exc.offset or 0})
    entry = [node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == 'execute_tool']
    if not entry:
        issues.append({'message': 'the code must define a function execute_tool(parameters, context) at top level', 'line': 1, 'column': 1})
    for message, node in _policy_issues(tree):
        issues.append({'message': message, 'line': getattr(node, 'lineno', 0), 'column': getattr(node, 'col_offset', 0) + 1})
    return _wire(issues[:20])


# ---------------------------------------------------------------- pristine state

_pristine = None


def _fingerprint_classes(namespaces):
    seen = set()
    classes = []
    for namespace in namespaces:
        for value in list(namespace.values()):
            if isinstance(value, type) and id(value) not in seen:
                seen.add(id(value))
                if not value.__flags__ & (1 << 8):  # Py_TPFLAGS_IMMUTABLETYPE: cannot be patched
                    classes.append((value, dict(value.__dict__)))
    return classes


_values_of = _methodcaller('values')


class _Identity:
    """The exact contents of a fixed list of live mappings (dicts, class dict
    views): same sizes, and the very same key and value objects in the same
    order, which proves each mapping unchanged. Checked in a few passes that
    run no Python code per entry; still milliseconds, so the worker's dict
    watch proves this from raw memory first and this runs only when it cannot.
    Only a mismatch here takes the slow path that finds and restores what changed."""

    def __init__(self, mappings):
        self.mappings = mappings
        self.lengths = list(map(len, mappings))
        self.keys = tuple(_chain.from_iterable(mappings))
        self.values = tuple(_chain.from_iterable(map(_values_of, mappings)))

    def unchanged(self):
        mappings = self.mappings
        return (
            list(map(len, mappings)) == self.lengths
            and all(map(_is, _chain.from_iterable(mappings), self.keys))
            and all(map(_is, _chain.from_iterable(map(_values_of, mappings)), self.values))
        )


def sb_snapshot():
    """Records the interpreter state every job must start from. Called once, after warm-up."""
    global _pristine, _base_builtins
    _base_builtins = dict(builtins.__dict__)
    modules = dict(sys.modules)
    dicts = {name: dict(module.__dict__) for name, module in modules.items() if isinstance(getattr(module, '__dict__', None), dict)}
    # The prelude's own classes count: tools can reach Http and Response.
    classes = _fingerprint_classes([globals()] + [m.__dict__ for m in modules.values() if isinstance(getattr(m, '__dict__', None), dict)])
    _pristine = {
        'modules': modules,
        'dicts': dicts,
        'classes': classes,
        # A class's dict view and a module's dict stay the same live objects for their lifetime.
        'classes_identity': _Identity([cls.__dict__ for cls, _ in classes]),
        'dicts_identity': _Identity([modules[name].__dict__ for name in dicts] + [sys.modules]),
        'builtins': dict(builtins.__dict__),
        'meta_path': list(sys.meta_path),
        'path_hooks': list(sys.path_hooks),
        'path': list(sys.path),
        'recursionlimit': sys.getrecursionlimit(),
        'hooks': (sys.stdout, sys.stderr, sys.excepthook, sys.displayhook, sys.unraisablehook, sys.breakpointhook),
    }
    return len(_pristine['classes'])


def sb_dict_listing():
    """The address and the snapshot's exact contents of every dict sb_cleanup guards,
    in two groups: the classes' own dicts, and the module dicts with sys.modules.
    Each dict is [id(dict), id(key), id(value), ...] in iteration order (an id is the
    object's address in the wasm heap). The worker checks its reading of the raw heap
    against this, then proves a group untouched by comparing memory, and tells
    sb_finish and sb_cleanup which groups it proved. Every address stays valid for
    the life of the process: the snapshot holds all these objects."""
    def describe(live, saved):
        return [id(live)] + [id(item) for pair in dict.items(saved) for item in pair]

    classes = []
    for cls, saved in _pristine['classes']:
        # The dict behind the class's read-only view (the prelude may use gc; tools may not).
        referents = gc.get_referents(cls.__dict__)
        if len(referents) != 1 or type(referents[0]) is not dict:
            return 'null'
        classes.append(describe(referents[0], saved))
    modules = [describe(_pristine['modules'][name].__dict__, saved) for name, saved in _pristine['dicts'].items()]
    modules.append(describe(sys.modules, _pristine['modules']))
    return json.dumps({'classes': classes, 'modules': modules})


_tainted = []


def _restore_classes():
    if _pristine['classes_identity'].unchanged():
        return
    for cls, saved in _pristine['classes']:
        current = cls.__dict__
        if len(current) == len(saved) and all(current.get(key, current) is value for key, value in saved.items()):
            continue
        _tainted.append('class ' + str(type.__getattribute__(cls, '__qualname__')))
        for key in [key for key in current if key not in saved]:
            try:
                type.__delattr__(cls, key)
            except (AttributeError, TypeError):
                pass
        for key, value in saved.items():
            if current.get(key, current) is not value:
                try:
                    type.__setattr__(cls, key, value)
                except (AttributeError, TypeError):
                    pass


def _restore_modules(pristine, tainted):
    for name in list(sys.modules):
        if name not in pristine['modules']:
            del sys.modules[name]
    for name, module in pristine['modules'].items():
        if sys.modules.get(name) is not module:
            tainted.append('sys.modules[' + name + ']')
            sys.modules[name] = module
    for name, saved in pristine['dicts'].items():
        current = pristine['modules'][name].__dict__
        if len(current) == len(saved) and all(current.get(key, current) is value for key, value in saved.items()):
            continue
        extra = [key for key in current if key not in saved]
        if all(isinstance(current[key], types.ModuleType) for key in extra) and all(current.get(key, current) is value for key, value in saved.items()):
            for key in extra:  # a submodule imported by a job, now purged
                del current[key]
            continue
        tainted.append('module ' + name)
        current.clear()
        current.update(saved)


def sb_cleanup(proven=''):
    """Puts the interpreter back to the snapshot; reports whether that fully worked.
    proven names the groups of dicts the worker proved untouched (see sb_dict_listing)."""
    global _job
    _job = None
    pristine = _pristine
    proven = proven.split()
    if 'classes' not in proven:
        _restore_classes()
    tainted = list(_tainted)
    _tainted.clear()
    # The builtins module's dict is one of the module dicts.
    if 'modules' not in proven:
        if not pristine['dicts_identity'].unchanged():
            _restore_modules(pristine, tainted)
        if builtins.__dict__ != pristine['builtins'] or any(builtins.__dict__.get(k) is not v for k, v in pristine['builtins'].items()):
            tainted.append('builtins')
            builtins.__dict__.clear()
            builtins.__dict__.update(pristine['builtins'])
    if sys.meta_path != pristine['meta_path'] or sys.path_hooks != pristine['path_hooks'] or sys.path != pristine['path']:
        tainted.append('import system')
        sys.meta_path[:] = pristine['meta_path']
        sys.path_hooks[:] = pristine['path_hooks']
        sys.path[:] = pristine['path']
    if sys.getrecursionlimit() != pristine['recursionlimit']:
        tainted.append('recursion limit')
        sys.setrecursionlimit(pristine['recursionlimit'])
    hooks = (sys.stdout, sys.stderr, sys.excepthook, sys.displayhook, sys.unraisablehook, sys.breakpointhook)
    if any(a is not b for a, b in zip(hooks, pristine['hooks'])) or sys.gettrace() is not None or sys.getprofile() is not None:
        tainted.append('sys hooks')
    return _wire({'clean': not tainted, 'tainted': tainted[:10]})


def sb_warm_up():
    """Imports the default modules so jobs start fast and the snapshot covers them."""
    for name in sorted(SAFE_DEFAULT_IMPORTS):
        try:
            __import__(name)
        except ImportError:
            pass
    import _strptime  # datetime.strptime imports it lazily
    import encodings.idna  # str.encode('idna') does too
    # Lazily built caches that would otherwise look like tampering after the first job.
    json.dumps({'a': [1.5, 'x', None]})
    import datetime
    datetime.datetime.strptime('2024-01-01', '%Y-%m-%d')
    for name in ('js', 'pyodide_js'):
        sys.modules.pop(name, None)
    import os
    os.environ.clear()
    os.environ['HOME'] = '/home/tool'
`;
