# The Python half of the Python sandbox. The worker runs this file once, before
# it takes the memory snapshot every sandbox process starts from, and calls the
# sb_* functions with JSON strings (no JsProxy ever reaches a tool).
#
# Everything here is a second line of defence: Python cannot be sandboxed from
# inside Python. The boundary is the process (see launch.ts and pool.ts): a
# process runs the jobs of one tool of one organization and nothing else, is
# started from a pristine snapshot, is locked by Node's permission model, and
# the host enforces its memory and time from outside.
import ast
import builtins
import json
import sys
import types
from _json import encode_basestring_ascii as _quote

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


class _ProgressFlush:
    """What context.progress() returns: awaiting it hands the report to the host at once."""

    __slots__ = ()

    def __await__(self):
        yield self

    def __repr__(self):
        return '<progress>'


_PROGRESS_FLUSH = _ProgressFlush()
# The current job's reports not yet taken by the worker (sb_take_progress), and its caps.
_progress = {'pending': [], 'sent': 0, 'max': 0, 'chars': 0}


class _ToolContext(dict):
    """The context argument: the call's fields as a dict, plus progress()."""

    __slots__ = ()

    def progress(self, message):
        """Reports progress to the caller: sent when awaited, otherwise at the tool's next await or
        return. Never raises; reports beyond the limits are dropped."""
        try:
            text = message if isinstance(message, str) else str(message)
        except Exception:
            text = ''
        if text and _progress['sent'] < _progress['max']:
            _progress['sent'] += 1
            _progress['pending'].append(text[: _progress['chars']])
        return _PROGRESS_FLUSH


def sb_take_progress():
    """The reports made since the last call, as JSON (the worker sends each to the host)."""
    pending = _progress['pending']
    _progress['pending'] = []
    return _wire(pending)


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


# JSON numbers are doubles on the other side: larger integers would arrive rounded.
MAX_EXACT_INTEGER = 2 ** 53 - 1


def _inexact_integer(value):
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, bool):
            continue
        if isinstance(item, int):
            if not -MAX_EXACT_INTEGER <= item <= MAX_EXACT_INTEGER:
                return item
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return None


def _json_key(key):
    if isinstance(key, str):
        return _quote(str.__str__(key))
    if key is None or isinstance(key, (bool, int, float)):
        return _quote(_wire(key))
    raise TypeError('keys must be str, int, float, bool or None, not ' + type(key).__name__)


def _wire(value):
    """JSON for replies to the worker and for tool results, built only from immutable
    builtins: a tool that patched the json module's classes changes what its own code
    sees, never the protocol or how its result is sent."""
    if value is None:
        return 'null'
    if value is True:
        return 'true'
    if value is False:
        return 'false'
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if value != value or value in (float('inf'), float('-inf')):
            raise ValueError('Out of range float values are not JSON compliant: ' + float.__repr__(value))
        return float.__repr__(value)
    if isinstance(value, str):
        return _quote(str.__str__(value))
    if isinstance(value, (list, tuple)):
        return '[' + ','.join([_wire(item) for item in value]) + ']'
    if isinstance(value, dict):
        return '{' + ','.join([_json_key(key) + ':' + _wire(item) for key, item in dict.items(value)]) + '}'
    raise TypeError('Object of type ' + type(value).__name__ + ' is not JSON serializable')


def _encode_result(value, max_bytes, max_depth):
    if isinstance(value, dict) and 'success' in value:
        result = value
    else:
        result = {'success': True, 'message': '', 'data': value}
    if _nested_deeper_than(result, max_depth + 1):
        return None, _error('INVALID_RESULT', 'the result is nested deeper than ' + str(max_depth) + ' levels')
    big = _inexact_integer(result)
    if big is not None:
        return None, _error(
            'INVALID_RESULT',
            'the result holds an integer beyond 2**53 - 1 (' + str(big.bit_length()) + ' bits), which JSON numbers '
            'cannot carry exactly; return it as a string (str(value))',
        )
    try:
        text = _wire(result)
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


def sb_finish():
    """Encodes the value the tool returned."""
    value = _job['value']
    _job['value'] = None
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
    if isinstance(awaited, _ProgressFlush):
        return '{"state":"progress"}'
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
    _progress.update(pending=[], sent=0, max=spec['maxProgress'], chars=spec['maxProgressChars'])
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
        outcome = _call_entry(entry, spec['parameters'], _ToolContext(spec['context']))
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
    """Feeds a bridged response (or error, or a flushed progress report) back into the awaiting coroutine."""
    reply = json.loads(response_json)
    if 'progress' in reply:
        return _advance()
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


def sb_warm_up():
    """Imports the default modules so jobs start fast and the snapshot covers them."""
    for name in sorted(SAFE_DEFAULT_IMPORTS):
        try:
            __import__(name)
        except ImportError:
            pass
    import _strptime  # datetime.strptime imports it lazily
    import encodings.idna  # str.encode('idna') does too
    # State the defaults build on first use, built once into the snapshot.
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
    global _base_builtins
    _base_builtins = dict(builtins.__dict__)


# Only the standard library: no '' (the working directory) or site-packages, so a
# file in the scratch directory can never shadow a module.
STDLIB_PATH_SUFFIXES = ('.zip', '/lib-dynload')
HOST_MODULE_PREFIXES = ('js', 'pyodide_js', 'pyodide', '_pyodide')


def sb_seal(scratch):
    """Runs in every process after it is restored from the snapshot: forgets what
    points at the host and the JavaScript API, and starts in the scratch directory."""
    import os
    sys.path[:] = [entry for entry in sys.path if entry.endswith(STDLIB_PATH_SUFFIXES)]
    sys.path_importer_cache.clear()
    sys.executable = ''
    sys._base_executable = ''
    sys.argv = ['']
    sys.orig_argv = []
    for name in list(sys.modules):
        if name.split('.')[0] in HOST_MODULE_PREFIXES:
            del sys.modules[name]
    os.environ.clear()
    os.environ['HOME'] = scratch
    os.chdir(scratch)
