/**
 * The Python half of the Python sandbox, run once per process after Pyodide
 * loads. It talks to the worker only through JSON strings (no JsProxy ever
 * reaches user code) and exposes its entry points as `sb_*` functions.
 *
 * In-process restrictions here are a second line: Python cannot be sandboxed
 * from inside Python, so the process flags (see launch.ts) are what keep the
 * host safe. Between jobs `sb_cleanup` puts back everything reachable from the
 * shared modules (the worker's watches say what changed), and reports the
 * process dirty, to run no other tool, whenever it cannot prove the next tool
 * sees pristine interpreter state.
 */
export const PRELUDE = String.raw`
import ast
import builtins
import gc
import json
import sys
import types
from _json import encode_basestring_ascii as _quote
from collections import OrderedDict as _OrderedDict
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

# The C code of datetime and time imports _strptime on every strptime call, through the
# __import__ of the calling frame's builtins (the tool's): it gets the entry points that
# code calls and nothing else of the module (which is warmed up and watched like the defaults).
INTERNAL_ENTRY_POINTS = {
    '_strptime': (
        '_strptime_time', '_strptime_datetime_date', '_strptime_datetime_time', '_strptime_datetime_datetime',
    ),
}


def _entry_point_view(name, cache):
    key = '<entry points>' + name
    view = cache.get(key)
    if view is None:
        module = _real_import(name, None, None, (), 0)
        view = types.ModuleType(name)
        for attr in INTERNAL_ENTRY_POINTS[name]:
            if hasattr(module, attr):
                setattr(view, attr, getattr(module, attr))
        cache[key] = view
    return view


def _make_importer(allowed, cache):
    def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
        if level:
            raise ImportNotAllowed('relative imports are not allowed in tools')
        if name in INTERNAL_ENTRY_POINTS:
            return _entry_point_view(name, cache)
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
        _audit_import(name, fromlist)
        return _make_view(module, allowed, cache)

    return guarded_import


# Modules a job imported that are not a default as the snapshot holds it: the
# cleanup restores what the defaults can reach; anything else may reach state it
# does not know (files, codec and warning registries, the event loop), so the
# process runs no other tool after the job (the pool replaces it).
_unaudited = []


def _default(name):
    parts = name.split('.')
    return any('.'.join(parts[: i + 1]) in SAFE_DEFAULT_IMPORTS for i in range(len(parts))) or any(
        entry.startswith(name + '.') for entry in SAFE_DEFAULT_IMPORTS
    )


def _audited(name):
    return _default(name) and sys.modules.get(name) is _pristine['modules'].get(name, _ABSENT)


def _audit_import(name, fromlist):
    for item in (None,) + tuple(fromlist or ()):
        full = name if item is None else name + '.' + str(item)
        if (item is None or full in sys.modules) and not _audited(full):
            _unaudited.append(full)


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
class _Sealed(dict):
    """A dict that prints as nothing. str.format looks attributes and items up in C,
    past the attribute policy ('{0.__globals__[_compiled]}'.format(fetch)), and this
    one holds the source of every tool the process ran; its items need their key."""

    __slots__ = ()

    def __repr__(self):
        return '<sealed>'

    __str__ = __repr__

    def __format__(self, spec):
        return '<sealed>'


_compiled = _Sealed()
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

Py_TPFLAGS_IMMUTABLETYPE = 1 << 8
_ATOMS = (str, bytes, int, float, complex, bool, type(None), types.CodeType)
# Exactly these types hold nothing to walk; a subclass's instance can have attributes
# (an IntFlag member such as re.IGNORECASE keeps its name in its dict).
_ATOM_TYPES = frozenset(_ATOMS)
# Immutable however subclassed (a subclass's attribute dict is walked on its own).
_IMMUTABLE_BASES = _ATOMS + (tuple, frozenset)
_ABSENT = object()
_type_dict = type.__dict__['__dict__'].__get__
_function_dict = types.FunctionType.__dict__['__dict__']
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


def _instance_dict(obj):
    """The object's own attribute dict, created now if it is still held inline."""
    if isinstance(obj, (type, types.FunctionType)):
        return None
    try:
        found = object.__getattribute__(obj, '__dict__')
    except Exception:
        return None
    return found if type(found) is dict else None


def _shared_objects(modules, roots, stop):
    """Every object reachable from the modules (their namespaces and their C-level
    state) and from roots, without entering a module's namespace (each module is a
    root of its own) or a function's globals. Classes are walked through their dicts
    and MROs. stop holds the ids of objects not to enter. Also returns the ids of
    the instances' attribute dicts among them."""
    seen = set(stop)
    found = []
    attribute_dicts = set()
    stack = list(roots)
    for module in modules:
        namespace = module.__dict__
        stack.extend(namespace.values())
        stack.extend(item for item in gc.get_referents(module) if item is not namespace)
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if type(obj) in _ATOM_TYPES:
            continue
        if isinstance(obj, types.ModuleType):
            stack.append(obj.__dict__)  # a module outside sys.modules: its namespace is one more dict
            continue
        found.append(obj)
        if isinstance(obj, type):
            stack.extend(_type_dict(obj).values())
            stack.extend(obj.__mro__)
            continue
        if isinstance(obj, types.FunctionType):
            stack.extend(item for item in gc.get_referents(obj) if item is not obj.__globals__ and item is not obj.__builtins__)
            continue
        stack.extend(gc.get_referents(obj))
        attributes = _instance_dict(obj)
        if attributes is not None:
            attribute_dicts.add(id(attributes))
            stack.append(attributes)
    return found, attribute_dicts


# ---------------------------------------------------------------- state reachable from shared modules

# How the worker's state watch reads a watched object (the numbers are state-watch.ts's).
W_DICT, W_LIST, W_SET, W_CELL, W_BODY, W_FUNCTION, W_TYPE = range(7)
# What brings back an object whose body (its C struct past the header) changed.
A_SLOTS, A_RANDOM, A_LRU, A_ABC, A_DECIMAL, A_ODICT, A_DEFAULTDICT, A_STREAM, A_UNKNOWN = range(9)
# A container a C object keeps for itself (an lru cache's table, an ABC's registry): it
# changes only through that object, and the object's own action brings it back.
A_OWNED = 9


def _frozen_types():
    """Types whose instances no Python code can change once built (what they
    hold is still walked: a tuple can hold a list), and the same by name for
    types no module exports."""
    import _csv
    import _weakref
    import datetime
    import decimal
    import operator
    import re
    import unicodedata
    frozen = {
        tuple, frozenset, range, slice, type(Ellipsis), type(NotImplemented), object,
        types.BuiltinFunctionType, types.MethodType, types.MethodWrapperType, types.WrapperDescriptorType,
        types.MethodDescriptorType, types.ClassMethodDescriptorType, types.GetSetDescriptorType,
        types.MemberDescriptorType, types.MappingProxyType, types.GenericAlias, types.UnionType,
        types.CapsuleType, _weakref.ReferenceType, _weakref.ProxyType, _weakref.CallableProxyType,
        re.Pattern, re.Match, datetime.date, datetime.time, datetime.datetime, datetime.timedelta,
        datetime.timezone, decimal.Decimal, _csv.Dialect, operator.itemgetter, operator.attrgetter,
        operator.methodcaller, type(unicodedata.ucd_3_2_0), type({}.keys()), type({}.values()),
        type({}.items()),
    }
    # The nodes of lru caches (the cache is watched), the views decimal contexts give of their
    # flags (the context is), and Pyodide's bridge objects: tools cannot import Pyodide's
    # modules, and the JavaScript those point to is no interpreter state.
    named = frozenset({
        'functools._lru_list_elem', 'builtins.builtin_method', 'abc.SignalDict',
        'builtins.Js2PyConverter', 'builtins.Py2JsConverter', 'builtins.JsFuncSignature', 'pyodide.ffi.JsProxy',
        '_contextvars.ContextVar', 'builtins.NoDefaultType',
    })
    return frozen, named


def _python_slots(cls):
    """The member descriptors of the __slots__ cls and its bases declare."""
    return [
        value for klass in cls.__mro__ if '__slots__' in _type_dict(klass)
        for value in _type_dict(klass).values() if type(value) is types.MemberDescriptorType and value.__objclass__ is klass
    ]


def _slot_members(cls):
    """The member descriptors of cls's __slots__, or None when its instances
    hold C-level state besides them (a C base other than object)."""
    members = _python_slots(cls)
    words = (cls.__basicsize__ - object.__basicsize__) // 4 - (cls.__dictoffset__ > 0) - (cls.__weakrefoffset__ > 0)
    return members if words == len(members) and not cls.__itemsize__ else None


def _slot_value(member, obj):
    try:
        return member.__get__(obj)
    except AttributeError:
        return _ABSENT


def _cell_value(cell):
    try:
        return cell.cell_contents
    except ValueError:
        return _ABSENT


def _function_state(function):
    """What a tool can change on a shared function: __name__, __qualname__,
    __doc__ and its attribute dict (None while it has none)."""
    others = (function.__globals__, function.__builtins__, function.__kwdefaults__)
    has_dict = any(type(item) is dict and all(item is not other for other in others) for item in gc.get_referents(function))
    return (function.__name__, function.__qualname__, function.__doc__, _function_dict.__get__(function) if has_dict else None)


def _same_function(function, saved):
    name, qualname, doc, attributes = _function_state(function)
    return name is saved[0] and qualname is saved[1] and doc is saved[2] and (attributes is saved[3] or (saved[3] is None and not attributes))


def _type_names(cls):
    # Heap types keep these outside their dict.
    return (type.__getattribute__(cls, '__name__'), type.__getattribute__(cls, '__qualname__'))


_decimal_signals = ()


def _decimal_fields(ctx):
    return (
        ctx.prec, ctx.Emax, ctx.Emin, ctx.rounding, ctx.capitals, ctx.clamp,
        tuple(ctx.flags[signal] for signal in _decimal_signals), tuple(ctx.traps[signal] for signal in _decimal_signals),
    )


def _set_decimal_fields(ctx, fields):
    ctx.prec, ctx.Emax, ctx.Emin, ctx.rounding, ctx.capitals, ctx.clamp, flags, traps = fields
    for signal, flag, trap in zip(_decimal_signals, flags, traps):
        ctx.flags[signal] = flag
        ctx.traps[signal] = trap


def _stream_state(stream):
    """What a tool could change on the interpreter's own streams, which it reaches
    through the stdlib (pprint.PrettyPrinter()._stream is sys.stdout): whether they
    are closed, how they are set up and what they wrap. None once detached."""
    import _io
    try:
        if isinstance(stream, _io.TextIOWrapper):
            return (stream.closed, stream.buffer, stream.encoding, stream.errors, stream.line_buffering, stream.write_through)
        if isinstance(stream, _io.FileIO):
            return (stream.closed, stream.fileno(), stream.mode)
        return (stream.closed, stream.raw)
    except ValueError:
        return None


def _same_stream(stream, saved):
    state = _stream_state(stream)
    return state is not None and len(state) == len(saved) and all(a is b or (type(a) is str and a == b) for a, b in zip(state, saved))


def _abc_registry(cls):
    import _abc
    return frozenset(id(ref()) for ref in _abc._get_dump(cls)[0])


class _Watched:
    """The objects reachable from shared modules whose state Python code can
    change, each with how the worker's watch reads it, a copy of that state and
    what brings it back. Index i names the same object in the worker's listing."""

    def __init__(self):
        self.objects = []
        self.kinds = []
        self.saved = []
        self.actions = []
        self.index = {}  # id -> the object's first index

    def add(self, obj, kind, saved, action=None):
        self.index.setdefault(id(obj), len(self.objects))
        self.objects.append(obj)
        self.kinds.append(kind)
        self.saved.append(saved)
        self.actions.append(action)


_watched = None


def _watch_state(objects, attribute_dicts, handles):
    """handles: the ids of the functions a tool can hold (see sb_snapshot)."""
    global _decimal_signals
    import _io
    import _random
    import decimal
    import functools
    from collections import defaultdict
    _decimal_signals = (
        decimal.Clamped, decimal.DivisionByZero, decimal.Inexact, decimal.InvalidOperation, decimal.Overflow,
        decimal.Rounded, decimal.Subnormal, decimal.Underflow, decimal.FloatOperation,
    )
    frozen, named = _frozen_types()
    lru_type = type(functools.lru_cache(maxsize=1)(len))
    abc_owners = {}
    for cls in objects:
        impl = _type_dict(cls).get('_abc_impl') if isinstance(cls, type) else None
        if type(impl).__module__ == '_abc':
            abc_owners[id(impl)] = cls
    owners = {
        id(item): obj for obj in objects if type(obj) is lru_type or id(obj) in abc_owners
        for item in gc.get_referents(obj) if type(item) in (dict, set)
    }
    watched = _Watched()
    walked = set(map(id, objects))
    marker = object()
    for obj in objects:
        cls = type(obj)
        if isinstance(obj, type):
            if not obj.__flags__ & Py_TPFLAGS_IMMUTABLETYPE:
                watched.add(obj, W_TYPE, _type_names(obj))
        elif id(obj) in owners:
            watched.add(obj, W_DICT if cls is dict else W_SET, owners[id(obj)], A_OWNED)
        elif cls in frozen or cls.__module__ + '.' + cls.__qualname__ in named:
            pass
        elif isinstance(obj, _IMMUTABLE_BASES) and not _python_slots(cls):
            pass
        elif isinstance(obj, (dict, list, set)):
            if isinstance(obj, dict):
                if id(obj) in attribute_dicts:
                    # An instance's attributes may live inline, on a key table its class shares; one
                    # key that is not a string moves them to a table of their own, which the watch reads.
                    obj[marker] = None
                    del obj[marker]
                watched.add(obj, W_DICT, list(dict.items(obj)))
                if isinstance(obj, _OrderedDict):
                    watched.add(obj, W_BODY, list(obj), A_ODICT)
                elif isinstance(obj, defaultdict):
                    watched.add(obj, W_BODY, obj.default_factory, A_DEFAULTDICT)
            else:
                watched.add(obj, W_LIST if isinstance(obj, list) else W_SET, list(obj))
            members = _python_slots(cls)
            if members:
                watched.add(obj, W_BODY, [(member, _slot_value(member, obj)) for member in members], A_SLOTS)
        elif cls is types.CellType:
            watched.add(obj, W_CELL, _cell_value(obj))
        elif cls is types.FunctionType:
            if id(obj) in handles:
                state = _function_state(obj)
                watched.add(obj, W_FUNCTION, state)
                if state[3] is not None and id(state[3]) not in walked:
                    watched.add(state[3], W_DICT, list(dict.items(state[3])))  # made just now, past the walk
        elif cls.__basicsize__ <= object.__basicsize__ and not cls.__itemsize__:
            pass  # nothing past the header: its state, if any, is its dict
        elif isinstance(obj, _random.Random):
            watched.add(obj, W_BODY, None, A_RANDOM)
        elif cls is lru_type:
            watched.add(obj, W_BODY, None, A_LRU)
        elif id(obj) in abc_owners:
            owner = abc_owners[id(obj)]
            watched.add(obj, W_BODY, (owner, _abc_registry(owner)), A_ABC)
        elif isinstance(obj, decimal.Context):
            watched.add(obj, W_BODY, _decimal_fields(obj), A_DECIMAL)
        elif isinstance(obj, (_io.TextIOWrapper, _io.BufferedWriter, _io.BufferedReader, _io.FileIO)):
            watched.add(obj, W_BODY, _stream_state(obj), A_STREAM)
        else:
            members = _slot_members(cls)
            if members is None:
                watched.add(obj, W_BODY, None, A_UNKNOWN)
            else:
                watched.add(obj, W_BODY, [(member, _slot_value(member, obj)) for member in members], A_SLOTS)
    return watched


def _same_items(live, saved):
    return dict.__len__(live) == len(saved) and all(a is c and b is d for (a, b), (c, d) in zip(dict.items(live), saved))


def _same_list(live, saved):
    return list.__len__(live) == len(saved) and all(map(_is, list.__iter__(live), saved))


def _same_set(live, saved):
    return set.__len__(live) == len(saved) and set(map(id, set.__iter__(live))) == set(map(id, saved))


def _settle(i):
    """Puts watched object i back to its snapshot state when it is not.
    False when that cannot be done or proven (the process is then dirty)."""
    w = _watched
    obj, kind, saved, action = w.objects[i], w.kinds[i], w.saved[i], w.actions[i]
    if action == A_OWNED:
        return _settle(w.index[id(saved)])
    if kind == W_DICT:
        if not _same_items(obj, saved):
            if isinstance(obj, _OrderedDict):
                _OrderedDict.clear(obj)
                for key, value in saved:
                    _OrderedDict.__setitem__(obj, key, value)
            else:
                dict.clear(obj)
                dict.update(obj, saved)
        return _same_items(obj, saved)
    if kind == W_LIST:
        if not _same_list(obj, saved):
            list.__setitem__(obj, slice(None), saved)
        return _same_list(obj, saved)
    if kind == W_SET:
        if not _same_set(obj, saved):
            set.clear(obj)
            set.update(obj, saved)
        return _same_set(obj, saved)
    if kind == W_CELL:
        if _cell_value(obj) is not saved:
            if saved is _ABSENT:
                del obj.cell_contents
            else:
                obj.cell_contents = saved
        return _cell_value(obj) is saved
    if kind == W_FUNCTION:
        if not _same_function(obj, saved):
            name, qualname, doc, attributes = saved
            obj.__name__, obj.__qualname__, obj.__doc__ = name, qualname, doc
            if attributes is not None:
                _function_dict.__set__(obj, attributes)
            else:
                _function_dict.__get__(obj).clear()
        return _same_function(obj, saved)
    if kind == W_TYPE:
        if _type_names(obj) != saved:
            type.__setattr__(obj, '__name__', saved[0])
            type.__setattr__(obj, '__qualname__', saved[1])
        return all(map(_is, _type_names(obj), saved))
    if action == A_SLOTS:
        for member, value in saved:
            if _slot_value(member, obj) is not value:
                if value is _ABSENT:
                    member.__delete__(obj)
                else:
                    member.__set__(obj, value)
        return all(_slot_value(member, obj) is value for member, value in saved)
    if action == A_RANDOM:
        # A fresh seed from the system's entropy, not the snapshot's state: every job would
        # otherwise draw the same numbers, and no job may learn or choose what the next one draws.
        import random
        if isinstance(obj, random.Random):
            random.Random.seed(obj)  # also forgets a pending gauss() value
        else:
            type(obj).seed(obj)
        return True
    if action == A_LRU:
        type(obj).cache_clear(obj)  # not obj.cache_clear: its instance dict can shadow methods
        return True
    if action == A_ABC:
        import _abc
        owner, registry = saved
        if _abc_registry(owner) != registry:
            return False  # a registration; registering back in order could differ
        _abc._reset_caches(owner)
        return True
    if action == A_DECIMAL:
        if _decimal_fields(obj) != saved:
            _set_decimal_fields(obj, saved)
        return _decimal_fields(obj) == saved
    if action == A_ODICT:
        for key in saved:
            _OrderedDict.move_to_end(obj, key)
        return list(_OrderedDict.__iter__(obj)) == saved
    if action == A_DEFAULTDICT:
        obj.default_factory = saved
        return obj.default_factory is saved
    if action == A_STREAM:
        # Writing moves a stream's buffer; what was written goes to Pyodide's discarded output.
        if _same_stream(obj, saved) and not obj.closed and obj.writable():
            type(obj).flush(obj)
        return _same_stream(obj, saved)
    return False


def _describe_watched(i):
    obj = _watched.objects[i]
    return type(obj).__module__ + '.' + type(obj).__qualname__ + ' at ' + hex(id(obj))


def sb_snapshot():
    """Records the interpreter state every job must start from. Called once, after warm-up."""
    global _pristine, _base_builtins, _watched
    import _locale
    import csv
    import decimal
    _base_builtins = dict(builtins.__dict__)
    modules = dict(sys.modules)
    dicts = {name: dict(module.__dict__) for name, module in modules.items() if isinstance(getattr(module, '__dict__', None), dict)}
    # What every job's namespace shares, the prelude's classes (a coroutine from fetch hands out
    # a _HostCall), and the decimal context jobs start in, which a context variable keeps.
    roots = [fetch, _no_files, _guarded_getattr, _guarded_hasattr, _guarded_setattr, _guarded_delattr, decimal.getcontext()]
    roots.extend(value for value in globals().values() if isinstance(value, type))
    stop = [id(module.__dict__) for module in modules.values() if isinstance(getattr(module, '__dict__', None), dict)]
    stop.append(id(globals()))
    objects, attribute_dicts = _shared_objects([modules[name] for name in dicts], roots, stop)
    classes = [(cls, dict(cls.__dict__)) for cls in objects if isinstance(cls, type) and not cls.__flags__ & Py_TPFLAGS_IMMUTABLETYPE]
    # A function's name, doc and attributes change only through a reference to it, and a tool
    # gets functions only from what it reaches from the default modules (any other import
    # leaves its process dirty), the builtins and the prelude: no default hands out another
    # module's function. (Classes are watched everywhere: an exception hands out its class.)
    # What other modules hold stays watched too: the defaults' code changes it unseen.
    defaults = [module for name, module in modules.items() if name in dicts and _default(name)]
    handles = set(map(id, _shared_objects(defaults, roots + list(_base_builtins.values()), stop)[0]))
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
        'decimal_context': decimal.getcontext(),
        'locale': _locale.setlocale(_locale.LC_ALL, None),
        'field_size_limit': csv.field_size_limit(),
    }
    _watched = _watch_state(objects, attribute_dicts, handles)
    _make_probes()
    # Everything alive now is the baseline: the collector skips it from here on, so collecting
    # after a job costs what the job left behind, and what is still tracked afterwards is its.
    gc.collect()
    gc.freeze()
    return len(_watched.objects)


_probes = None


def _make_probes():
    global _probes

    def probe():
        pass

    class Probe:
        pass

    # Strings built at runtime, so no other object shares them.
    probe.__name__, probe.__qualname__, probe.__doc__ = (''.join(['sb-probe-', part]) for part in ('name', 'qualname', 'doc'))
    probe.marker = None
    Probe.__name__, Probe.__qualname__ = (''.join(['sb-probe-class-', part]) for part in ('name', 'qualname'))
    _probes = (probe, Probe)


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


def sb_state_listing():
    """Every object _watched holds, in its order, as [kind, id(object), ...]: for a
    dict, list or set the ids of its contents in iteration order (a dict's as key,
    value pairs), for a cell that of its contents (0 when empty), for a body the
    size of the object's struct, for a function the ids of its name, qualified
    name, doc and attribute dict (0 when it has none), for a class those of its
    name and qualified name. With them, probes: a function and a class whose
    fields are objects of their own, as [id, struct size, id(field), ...], from
    which the worker finds where those fields lie. The worker checks its reading
    of the heap against all of this before it trusts it."""
    probe, Probe = _probes
    items = []
    for obj, kind in zip(_watched.objects, _watched.kinds):
        if kind == W_DICT:
            items.append([kind, id(obj)] + [id(item) for pair in dict.items(obj) for item in pair])
        elif kind == W_LIST:
            items.append([kind, id(obj)] + list(map(id, list.__iter__(obj))))
        elif kind == W_SET:
            items.append([kind, id(obj)] + list(map(id, set.__iter__(obj))))
        elif kind == W_CELL:
            value = _cell_value(obj)
            items.append([kind, id(obj), 0 if value is _ABSENT else id(value)])
        elif kind == W_BODY:
            items.append([kind, id(obj), type(obj).__basicsize__])
        elif kind == W_FUNCTION:
            name, qualname, doc, attributes = _function_state(obj)
            items.append([kind, id(obj), id(name), id(qualname), id(doc), 0 if attributes is None else id(attributes)])
        else:
            items.append([kind, id(obj)] + list(map(id, _type_names(obj))))
    function = [id(probe), types.FunctionType.__basicsize__, id(probe.__name__), id(probe.__qualname__), id(probe.__doc__), id(probe.__dict__)]
    cls = [id(Probe), type.__basicsize__, id(Probe.__name__), id(Probe.__qualname__)]
    return json.dumps({'items': items, 'probes': {'function': function, 'type': cls}})


_tainted = []


def _restore_classes():
    if _pristine['classes_identity'].unchanged():
        return
    changed = []
    for cls, saved in _pristine['classes']:
        current = cls.__dict__
        if len(current) != len(saved) or any(current.get(key, current) is not value for key, value in saved.items()):
            changed.append((cls, saved))
    # Finalizers first: putting the rest back releases objects, which must not run a planted one.
    for cls, saved in changed:
        if cls.__dict__.get('__del__', _ABSENT) is not saved.get('__del__', _ABSENT):
            try:
                type.__delattr__(cls, '__del__')
            except (AttributeError, TypeError):
                pass
            if '__del__' in saved:
                type.__setattr__(cls, '__del__', saved['__del__'])
    for cls, saved in changed:
        current = cls.__dict__
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


# Module globals the stdlib itself moves on every call (uuid's clocks): tools cannot set
# them (views leave out private names), so putting them back leaves the process clean.
_SELF_UPDATED_GLOBALS = {
    'uuid': frozenset({'_last_timestamp', '_last_timestamp_v6', '_last_timestamp_v7', '_last_counter_v7'}),
}


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
        moved = [key for key, value in saved.items() if current.get(key, current) is not value]
        if all(isinstance(current[key], types.ModuleType) for key in extra) and not moved:
            for key in extra:  # a submodule imported by a job, now purged
                del current[key]
            continue
        if extra or not set(moved) <= _SELF_UPDATED_GLOBALS.get(name, frozenset()):
            tainted.append('module ' + name)
        current.clear()
        current.update(saved)


def sb_end_job():
    """Runs what is left of the job's code one last time, still under its deadline
    and before anything is checked: finalizers of what it left unreachable, finally
    blocks of generators and coroutines it left suspended. Then the classes it made
    lose their finalizers, so releasing what it left in shared state cannot run its
    code again, and collections stay off until sb_cleanup has finished."""
    gc.collect()
    gc.disable()
    for obj in gc.get_objects():  # only what the job made: the snapshot is frozen
        try:
            if isinstance(obj, type):
                if '__del__' in _type_dict(obj):
                    type.__delattr__(obj, '__del__')
            elif isinstance(obj, (types.GeneratorType, types.CoroutineType)):
                obj.close()
            elif isinstance(obj, types.AsyncGeneratorType):
                obj.aclose().send(None)
        except BaseException:
            pass


def _code_of(obj):
    if isinstance(obj, types.FunctionType):
        return obj.__code__
    if isinstance(obj, types.GeneratorType):
        return obj.gi_code
    if isinstance(obj, types.CoroutineType):
        return obj.cr_code
    if isinstance(obj, types.AsyncGeneratorType):
        return obj.ag_code
    if isinstance(obj, types.FrameType):
        return obj.f_code
    return None


def _job_leftovers():
    """What the job created that is still alive after the cleanup and could run
    code: classes (and with them their instances) and its functions, generators
    and frames. Shared state the cleanup does not know can hold them."""
    found = []
    for obj in gc.get_objects():
        code = _code_of(obj)
        if isinstance(obj, type) or (code is not None and code.co_filename == TOOL_FILENAME):
            found.append(type(obj).__name__ + (' ' + type.__getattribute__(obj, '__qualname__') if isinstance(obj, type) else ''))
    return found


def _restore_interpreter(pristine, tainted):
    """State kept in C, outside any object the watch reads. True when something was put back."""
    import _locale
    import csv
    import decimal
    restored = False
    if decimal.getcontext() is not pristine['decimal_context']:
        decimal.setcontext(pristine['decimal_context'])
        restored = True
    if _locale.setlocale(_locale.LC_ALL, None) != pristine['locale']:
        _locale.setlocale(_locale.LC_ALL, pristine['locale'])
        restored = True
    if csv.field_size_limit() != pristine['field_size_limit']:
        csv.field_size_limit(pristine['field_size_limit'])
        restored = True
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
    return restored


def sb_cleanup(proven='', changed='*'):
    """Puts the interpreter back to the snapshot; reports whether that fully worked,
    and whether the worker must look again (recheck): whatever this released or put
    back can change more watched state, through weak references' callbacks.
    proven names the groups of dicts the worker proved untouched (see sb_dict_listing);
    changed lists the indices of the watched objects whose memory the worker saw
    change (see sb_state_listing), or is '*' when it has no watch: then every one is
    checked here."""
    global _job
    # sb_end_job turned collections off already; a job abandoned mid-await never got there.
    gc.disable()
    try:
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
        indices = range(len(_watched.objects)) if changed == '*' else list(map(int, changed.split()))
        for i in indices:
            try:
                settled = _settle(i)
            except Exception:
                settled = False
            if not settled:
                tainted.append('state ' + _describe_watched(i))
        restored = _restore_interpreter(pristine, tainted)
        tainted.extend('import ' + name for name in _unaudited)
        _unaudited.clear()
        released = gc.collect()  # what the restore released; none of it can run the job's code now
        tainted.extend('left over: ' + item for item in _job_leftovers())
        recheck = bool(indices) or len(proven) < len(('classes', 'modules')) or restored or released > 0
        return _wire({'clean': not tainted, 'tainted': tainted[:10], 'recheck': recheck})
    finally:
        gc.enable()


def sb_warm_up():
    """Imports the default modules so jobs start fast and the snapshot covers them."""
    for name in sorted(SAFE_DEFAULT_IMPORTS):
        try:
            __import__(name)
        except ImportError:
            pass
    import _strptime  # datetime.strptime imports it lazily
    import encodings.idna  # str.encode('idna') does too
    # State the defaults build on first use, which would otherwise look like tampering after
    # the first job that uses it (and leave its process dirty).
    json.dumps({'a': [1.5, 'x', None]})
    import base64
    import collections
    import datetime
    import ipaddress
    import random
    import string
    import typing
    import urllib.parse
    import uuid
    datetime.datetime.strptime('2024-01-01', '%Y-%m-%d')
    uuid.getnode()
    string.Template('$a').substitute(a=1)
    collections.Counter('ab').most_common(1)
    random.Random('seed')
    format(ipaddress.ip_address('127.0.0.1'), 'b')
    repr(typing.List[int])
    urllib.parse.unquote_to_bytes('%41')
    urllib.parse._splittype('a:b')
    urllib.parse._splithost('//a/b')
    urllib.parse._splitport('a:1')
    for encode, decode in (
        (base64.b32encode, base64.b32decode), (base64.b32hexencode, base64.b32hexdecode),
        (base64.a85encode, base64.a85decode), (base64.b85encode, base64.b85decode), (base64.z85encode, base64.z85decode),
    ):
        decode(encode(b'x'))
    for name in ('js', 'pyodide_js'):
        sys.modules.pop(name, None)
    import os
    os.environ.clear()
    os.environ['HOME'] = '/home/tool'
`;
