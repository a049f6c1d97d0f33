"""Checks of packaging/zabbix/certprobe_template.yaml, the Zabbix 6.0 templates (external checks),
and of packaging/zabbix/certprobe_inventory_template.yaml, the inventory's discovery template.

Run from the repository root:  python3 -m unittest tests/integration/test_zabbix_template.py

Static checks: the export version and layout, every uuid (32 lowercase hex, UUIDv4 as the 6.0 API
wants, unique), master items of dependent items, item keys and user macros referenced by trigger
expressions, trigger dependencies. Live checks: each master item's key, with its macros replaced by
the template defaults, is run against a loopback `openssl s_server` (self-signed certificate,
--allow-self-signed) and against a closed port, and every dependent item's preprocessing (JSONPath,
then regular expression) is applied to the real `--output zabbix` JSON.

The inventory template: the same static checks for its discovery rule, item and trigger prototypes
and LLD filter; live, `certprobe scan` of the s_server into a fresh inventory, the discovery rule's
command line run as Zabbix runs it, its preprocessing and filter applied, and the prototypes
expanded for every discovered endpoint; the item prototypes' check_cert_inventory command line is
run too once the tree builds check_cert_inventory (a [[bin]] of Cargo.toml).

Needs PyYAML (Debian: python3-yaml; installed with apt when missing and running as root, else the
tests are skipped). The live checks need openssl and target/release/check_*_cert (built with
`cargo build --release --bins` when missing and cargo is there; CERTPROBE_PLUGIN_DIR overrides
the folder).
"""

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEMPLATE = os.path.join(ROOT, "packaging", "zabbix", "certprobe_template.yaml")
INVENTORY_TEMPLATE = os.path.join(ROOT, "packaging", "zabbix", "certprobe_inventory_template.yaml")
PLUGIN_DIR = os.environ.get("CERTPROBE_PLUGIN_DIR") or os.path.join(ROOT, "target", "release")
PLUGINS = ("check_tls_cert", "check_smtp_cert", "check_lmtp_cert", "check_ldap_cert")

UUID_RE = re.compile(r"^[0-9a-f]{32}$")
# {$MACRO} or {$MACRO:context} / {$MACRO:"context"}; Zabbix falls back to {$MACRO} for an undefined context
USER_MACRO_RE = re.compile(r'\{\$([A-Z0-9_.]+)(?::(?:"(?:[^"\\]|\\.)*"|[^}]*))?\}')
KEY_NAME_RE = re.compile(r"[A-Za-z0-9_.\-]+")


def import_yaml():
    """PyYAML, installed with apt (python3-yaml) when missing and running as root; None otherwise."""
    try:
        import yaml  # noqa: F401
        return yaml
    except ImportError:
        pass
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for cmd in (["apt-get", "install", "-y", "-q", "python3-yaml"],
                    ["apt-get", "update", "-q"],
                    ["apt-get", "install", "-y", "-q", "python3-yaml"]):
            subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            try:
                import yaml  # noqa: F401
                return yaml
            except ImportError:
                continue
    return None


# ---------------------------------------------------------------------------------------------
# Zabbix syntax helpers

def parse_key(key):
    """Split an item key into its name and parameter list (quoted parameters unquoted)."""
    m = KEY_NAME_RE.match(key)
    if not m:
        raise ValueError("bad item key: %r" % key)
    name, rest = m.group(0), key[m.end():]
    if not rest:
        return name, []
    if not (rest.startswith("[") and rest.endswith("]")):
        raise ValueError("bad item key parameters: %r" % key)
    body, params, i = rest[1:-1], [], 0
    while True:
        while i < len(body) and body[i] == " ":
            i += 1
        if i < len(body) and body[i] == '"':
            i += 1
            value = []
            while i < len(body) and body[i] != '"':
                if body[i] == "\\" and i + 1 < len(body) and body[i + 1] == '"':
                    i += 1
                value.append(body[i])
                i += 1
            if i >= len(body):
                raise ValueError("unterminated quoted parameter in %r" % key)
            i += 1
            while i < len(body) and body[i] == " ":
                i += 1
            params.append("".join(value))
        else:
            j = i
            while j < len(body) and body[j] != ",":
                if body[j] in "[]":
                    raise ValueError("nested arrays are not used here: %r" % key)
                j += 1
            params.append(body[i:j].strip())
            i = j
        if i >= len(body):
            return name, params
        if body[i] != ",":
            raise ValueError("expected ',' at %d in %r" % (i, key))
        i += 1


def item_queries(expression):
    """Every /host/key item query in a 6.0 trigger expression, as (host, key)."""
    out, i = [], 0
    while True:
        m = re.compile(r"\(\s*/").search(expression, i)
        if not m:
            return out
        j = m.end()
        k = expression.index("/", j)
        host = expression[j:k]
        name = KEY_NAME_RE.match(expression, k + 1)
        if not name:
            raise ValueError("no item key after /%s/ in %r" % (host, expression))
        end = name.end()
        if end < len(expression) and expression[end] == "[":
            depth, quoted, p = 0, False, end
            while True:
                c = expression[p]
                if quoted:
                    if c == "\\":
                        p += 1
                    elif c == '"':
                        quoted = False
                elif c == '"':
                    quoted = True
                elif c == "[":
                    depth += 1
                elif c == "]":
                    depth -= 1
                    if depth == 0:
                        break
                p += 1
            end = p + 1
        out.append((host, expression[k + 1:end]))
        i = end


def strings_in(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings_in(value)


def uuids_in(node, path="zabbix_export"):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "uuid":
                yield path, value
            else:
                yield from uuids_in(value, path + "." + str(key))
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from uuids_in(value, "%s[%d]" % (path, n))


# ---------------------------------------------------------------------------------------------
# A JSONPath subset, evaluated as Zabbix does: $.a.b, [?(@.field=='value')] filters, .first()

def jsonpath_tokens(path):
    if not path.startswith("$"):
        raise ValueError("JSONPath must start with $: %r" % path)
    tokens, i = [], 1
    while i < len(path):
        if path.startswith("[?(", i):
            end = path.index(")]", i)
            m = re.fullmatch(r"@\.([A-Za-z0-9_]+)\s*==\s*'([^']*)'", path[i + 3:end].strip())
            if not m:
                raise ValueError("unsupported filter in %r" % path)
            tokens.append(("filter", m.group(1), m.group(2)))
            i = end + 2
        elif path[i] == ".":
            m = re.compile(r"\.([A-Za-z0-9_]+)(\(\))?").match(path, i)
            if not m:
                raise ValueError("unsupported JSONPath syntax at %d in %r" % (i, path))
            tokens.append(("func" if m.group(2) else "field", m.group(1)))
            i = m.end()
        else:
            raise ValueError("unsupported JSONPath syntax at %d in %r" % (i, path))
    return tokens


def zabbix_text(value):
    """How Zabbix renders an extracted JSON element: strings unquoted, null empty, the rest as JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json.dumps(value, separators=(",", ":"))


def jsonpath(document, path):
    """(True, text) when the path matches, (False, None) when Zabbix reports 'no data matches'."""
    nodes, definite = [document], True
    for token in jsonpath_tokens(path):
        if token[0] == "field":
            nodes = [n[token[1]] for n in nodes if isinstance(n, dict) and token[1] in n]
        elif token[0] == "filter":
            definite = False
            nodes = [e for n in nodes if isinstance(n, list) for e in n
                     if isinstance(e, dict) and e.get(token[1]) == token[2]]
        elif token[1] == "first":
            if not nodes:
                return False, None
            nodes, definite = nodes[:1], True
        else:
            raise ValueError("unsupported JSONPath function %s() in %r" % (token[1], path))
    if not nodes:
        return False, None
    return True, zabbix_text(nodes[0] if definite else nodes)


def preprocess(item, document):
    """Run an item's preprocessing steps like Zabbix: ('value', text), ('discard', None) or ('error', msg)."""
    value = None
    for n, step in enumerate(item.get("preprocessing", [])):
        params = step.get("parameters", [])
        if step["type"] == "JSONPATH":
            source = document if n == 0 else json.loads(value)
            found, text = jsonpath(source, params[0])
            ok = found
        elif step["type"] == "MATCHES_REGEX":
            text = value
            ok = re.search(params[0], value or "") is not None
        else:
            raise AssertionError("step type %s is not simulated" % step["type"])
        if ok:
            value = text
            continue
        handler = step.get("error_handler", "ORIGINAL_ERROR")
        if handler == "DISCARD_VALUE":
            return "discard", None
        if handler == "CUSTOM_VALUE":
            value = step.get("error_handler_params", "")
            continue
        return "error", "step %d (%s %s) failed" % (n + 1, step["type"], params)
    return "value", value


def value_fits(value_type, text):
    if value_type == "UNSIGNED":
        return re.fullmatch(r"[0-9]+", text) is not None
    if value_type == "FLOAT":
        try:
            float(text)
            return True
        except ValueError:
            return False
    return True  # CHAR, TEXT, LOG


# ---------------------------------------------------------------------------------------------

class TemplateTestBase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        yaml = import_yaml()
        if yaml is None:
            raise unittest.SkipTest("PyYAML is missing (Debian: apt-get install python3-yaml)")
        with open(TEMPLATE, encoding="utf-8") as f:
            cls.doc = yaml.safe_load(f)
        cls.export = cls.doc["zabbix_export"]
        cls.templates = cls.export.get("templates", [])
        cls.by_host = {t["template"]: t for t in cls.templates}

    @classmethod
    def items(cls, template):
        return template.get("items", [])

    @classmethod
    def triggers_of(cls, template):
        """Item-level triggers plus the top-level triggers whose expression names this template."""
        out = [tr for item in cls.items(template) for tr in item.get("triggers", [])]
        for tr in cls.export.get("triggers", []):
            hosts = {h for h, _ in item_queries(tr["expression"])}
            if template["template"] in hosts:
                out.append(tr)
        return out

    @classmethod
    def master_items(cls, template):
        return [i for i in cls.items(template) if i.get("type") != "DEPENDENT"]

    @classmethod
    def dependents_of(cls, template, master_key):
        return [i for i in cls.items(template)
                if i.get("type") == "DEPENDENT" and i["master_item"]["key"] == master_key]

    @classmethod
    def macro_defaults(cls, template):
        return {m["macro"]: m.get("value", "") for m in template.get("macros", [])}


class StaticTest(TemplateTestBase):
    def test_export_version_and_layout(self):
        self.assertEqual(self.export["version"], "6.0")
        self.assertNotIn("template_groups", self.export, "template_groups arrived in 6.2; 6.0 uses groups")
        group_names = {g["name"] for g in self.export["groups"]}
        self.assertTrue(self.templates)
        for t in self.templates:
            self.assertTrue(t["template"] and t["name"])
            self.assertTrue(t["groups"])
            for g in t["groups"]:
                self.assertIn(g["name"], group_names)
        names = [t["name"] for t in self.templates]
        self.assertIn("certprobe TLS certificates by external check", names)
        self.assertEqual(len(set(names)), len(names))
        self.assertEqual(len(self.by_host), len(self.templates))

    def test_uuids(self):
        found = list(uuids_in(self.export))
        self.assertGreater(len(found), 50)
        seen = {}
        for path, value in found:
            self.assertIsInstance(value, str, path)
            self.assertRegex(value, UUID_RE, path)
            # The 6.0 API (API_UUID) wants version 4 with the RFC 4122 variant.
            self.assertEqual(value[12], "4", "%s: %s is not a version 4 UUID" % (path, value))
            self.assertIn(value[16], "89ab", "%s: %s has not the RFC 4122 variant" % (path, value))
            self.assertNotIn(value, seen, "%s repeats the uuid of %s" % (path, seen.get(value)))
            seen[value] = path
        for t in self.templates:
            self.assertIn("uuid", t)
            for item in self.items(t):
                self.assertIn("uuid", item, item["key"])
            for tr in self.triggers_of(t):
                self.assertIn("uuid", tr, tr["name"])

    def test_item_keys_are_unique_across_templates(self):
        # A host may link several of these templates; their keys must not collide.
        keys = [i["key"] for t in self.templates for i in self.items(t)]
        self.assertEqual(len(keys), len(set(keys)), [k for k in keys if keys.count(k) > 1])

    def test_master_items(self):
        for t in self.templates:
            masters = self.master_items(t)
            self.assertEqual(len(masters), 1, t["template"])
            master = masters[0]
            self.assertEqual(master["type"], "EXTERNAL")
            self.assertEqual(master["value_type"], "TEXT")
            self.assertEqual(master["delay"], "{$CERTPROBE.INTERVAL}")
            name, params = parse_key(master["key"])
            self.assertIn(name, PLUGINS)
            self.assertEqual(params[params.index("--output") + 1], "zabbix")
            self.assertIn("-H", params)
            self.assertIn("-p", params)
            self.assertEqual(params[params.index("-t") + 1], "{$CERTPROBE.TIMEOUT}")

    def test_dependent_items_have_their_master(self):
        for t in self.templates:
            keys = {i["key"] for i in self.items(t)}
            for item in self.items(t):
                if item.get("type") != "DEPENDENT":
                    self.assertNotIn("master_item", item, item["key"])
                    continue
                self.assertIn(item["master_item"]["key"], keys, "%s: master item missing" % item["key"])
                master = next(i for i in self.items(t) if i["key"] == item["master_item"]["key"])
                self.assertNotEqual(master.get("type"), "DEPENDENT")
                self.assertEqual(item.get("delay", "0"), "0")
                self.assertTrue(item.get("preprocessing"), item["key"])
                self.assertEqual(item["preprocessing"][0]["type"], "JSONPATH", item["key"])

    def test_trigger_expressions_reference_own_items(self):
        for t in self.templates:
            keys = {i["key"] for i in self.items(t)}
            triggers = self.triggers_of(t)
            self.assertTrue(triggers)
            for tr in triggers:
                exprs = [tr["expression"]] + [tr.get("recovery_expression", "")]
                exprs += [d["expression"] for d in tr.get("dependencies", [])]
                for expr in filter(None, exprs):
                    queries = item_queries(expr)
                    self.assertTrue(queries, "%s: no item in %r" % (tr["name"], expr))
                    for host, key in queries:
                        self.assertEqual(host, t["template"], "%s: %r" % (tr["name"], expr))
                        self.assertIn(key, keys, "%s: %r" % (tr["name"], expr))

    def test_item_level_triggers_use_their_item_only(self):
        # The 6.0 export puts a trigger under an item only when it uses that item alone.
        for t in self.templates:
            for item in self.items(t):
                for tr in item.get("triggers", []):
                    self.assertEqual({k for _, k in item_queries(tr["expression"])}, {item["key"]}, tr["name"])
        for tr in self.export.get("triggers", []):
            self.assertGreater(len({k for _, k in item_queries(tr["expression"])}), 1, tr["name"])

    def test_trigger_dependencies_exist(self):
        for t in self.templates:
            triggers = self.triggers_of(t)
            known = {(tr["name"], tr["expression"]) for tr in triggers}
            names = [tr["name"] for tr in triggers]
            self.assertEqual(len(names), len(set(names)), t["template"])
            for tr in triggers:
                for d in tr.get("dependencies", []):
                    self.assertIn((d["name"], d["expression"]), known, "%s -> %s" % (tr["name"], d["name"]))

    def test_macros_are_defined(self):
        for t in self.templates:
            defined = {m["macro"] for m in t.get("macros", [])}
            for m in t.get("macros", []):
                self.assertRegex(m["macro"], r"^\{\$[A-Z0-9_.]+\}$")
                self.assertTrue(m.get("description"), m["macro"])
            used = set()
            for node in [t] + [tr for tr in self.export.get("triggers", []) if tr in self.triggers_of(t)]:
                for s in strings_in(node):
                    used.update("{$%s}" % name for name in USER_MACRO_RE.findall(s))
            missing = used - defined
            self.assertFalse(missing, "%s uses undefined macros %s" % (t["template"], sorted(missing)))
            for name in ("{$CERTPROBE.HOST}", "{$CERTPROBE.TIMEOUT}", "{$CERTPROBE.INTERVAL}",
                         "{$CERTPROBE.EXPIRY.WARN}", "{$CERTPROBE.EXPIRY.CRIT}"):
                self.assertIn(name, defined, t["template"])
        defaults = {}
        for t in self.templates:
            for name, value in self.macro_defaults(t).items():
                # Same macro in two templates linked to one host: Zabbix takes either, so they must agree.
                self.assertEqual(defaults.setdefault(name, value), value, name)
        expected = {"{$CERTPROBE.HOST}": "{HOST.CONN}", "{$CERTPROBE.PORT}": "443",
                    "{$CERTPROBE.SMTP.PORT}": "25", "{$CERTPROBE.LMTP.PORT}": "24",
                    "{$CERTPROBE.LDAP.PORT}": "389", "{$CERTPROBE.TIMEOUT}": "10",
                    "{$CERTPROBE.INTERVAL}": "1h", "{$CERTPROBE.EXPIRY.WARN}": "30",
                    "{$CERTPROBE.EXPIRY.CRIT}": "7"}
        self.assertEqual(defaults, expected)

    def test_error_item_sets_empty_on_fail(self):
        for t in self.templates:
            errors = [i for i in self.items(t) if i.get("type") == "DEPENDENT"
                      and i["preprocessing"][0]["parameters"] == ["$.error.message"]]
            self.assertEqual(len(errors), 1, t["template"])
            step = errors[0]["preprocessing"][0]
            self.assertEqual(step.get("error_handler"), "CUSTOM_VALUE")
            self.assertEqual(step.get("error_handler_params", ""), "")

    def test_value_maps_are_defined(self):
        for t in self.templates:
            maps = {v["name"] for v in t.get("valuemaps", [])}
            for item in self.items(t):
                if "valuemap" in item:
                    self.assertIn(item["valuemap"]["name"], maps, item["key"])


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveTest(TemplateTestBase):
    """Runs the master items' command lines and applies the dependent items to the real output."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not shutil.which("openssl"):
            raise unittest.SkipTest("openssl is missing")
        if not all(os.access(os.path.join(PLUGIN_DIR, p), os.X_OK) for p in PLUGINS):
            if shutil.which("cargo") and "CERTPROBE_PLUGIN_DIR" not in os.environ:
                subprocess.run(["cargo", "build", "--release", "--bins"], cwd=ROOT, check=False)
            if not all(os.access(os.path.join(PLUGIN_DIR, p), os.X_OK) for p in PLUGINS):
                raise unittest.SkipTest("the plugins are not built in %s" % PLUGIN_DIR)
        cls.tmp = tempfile.mkdtemp(prefix="certprobe-zabbix-")
        cert, key = os.path.join(cls.tmp, "cert.pem"), os.path.join(cls.tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "60", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cls.port = free_port()
        cls.server = subprocess.Popen(
            ["openssl", "s_server", "-accept", "127.0.0.1:%d" % cls.port, "-cert", cert, "-key", key,
             "-www", "-quiet"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", cls.port), timeout=1).close()
                break
            except OSError:
                if cls.server.poll() is not None or time.monotonic() > deadline:
                    cls.tearDownClass()
                    raise unittest.SkipTest("openssl s_server did not start")
                time.sleep(0.1)
        cls.closed_port = free_port()

    @classmethod
    def tearDownClass(cls):
        server = getattr(cls, "server", None)
        if server is not None and server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=5)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        if getattr(cls, "tmp", None):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def command(self, template, port, extra=()):
        """The master item's command line as Zabbix runs it, macros replaced by the template defaults,
        the host by localhost (connecting to 127.0.0.1) and the port by `port`."""
        master = self.master_items(template)[0]
        name, params = parse_key(master["key"])
        defaults = self.macro_defaults(template)
        port_param = params[params.index("-p") + 1]

        def resolve(param):
            if param == port_param:
                return str(port)
            if USER_MACRO_RE.fullmatch(param) and USER_MACRO_RE.fullmatch(param).group(1) == "CERTPROBE.HOST":
                return "localhost"
            return USER_MACRO_RE.sub(lambda m: defaults["{$%s}" % m.group(1)], param)

        args = [resolve(p) for p in params]
        for p in args:
            self.assertNotIn("{", p, "unresolved macro in %r" % args)
        return [os.path.join(PLUGIN_DIR, name)] + args + ["--address", "127.0.0.1"] + list(extra)

    def run_plugin(self, cmd):
        res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        # Zabbix stores stdout + stderr and ignores the exit code: stderr must stay empty.
        self.assertEqual(res.stderr, b"", cmd)
        return json.loads(res.stdout.decode("utf-8"))

    def test_dependent_items_on_a_fetched_certificate(self):
        t = self.by_host["certprobe TLS"]
        doc = self.run_plugin(self.command(t, self.port, ["--allow-self-signed"]))
        self.assertNotIn("error", doc, doc)
        for field in ("x509", "result", "sha1_fingerprint", "sha256_fingerprint", "certprobe"):
            self.assertIn(field, doc)
        master = self.master_items(t)[0]
        dependents = self.dependents_of(t, master["key"])
        self.assertGreaterEqual(len(dependents), 17)
        got = {}
        for item in dependents:
            path = item["preprocessing"][0]["parameters"][0]
            outcome, value = preprocess(item, doc)
            if path == "$.error.message":
                self.assertFalse(jsonpath(doc, path)[0], "no error expected on success")
                self.assertEqual((outcome, value), ("value", ""), item["key"])
                continue
            self.assertTrue(jsonpath(doc, path)[0], "%s: %s does not resolve" % (item["key"], path))
            self.assertEqual(outcome, "value", "%s: %s -> %s %s" % (item["key"], path, outcome, value))
            self.assertTrue(value_fits(item.get("value_type", "UNSIGNED"), value),
                            "%s: %r is no %s" % (item["key"], value, item.get("value_type", "UNSIGNED")))
            got[path] = value
        self.assertEqual(got["$.result.value"], "valid-but-self-signed")
        self.assertEqual(got["$.x509.subject"], "CN=localhost")
        self.assertEqual(got["$.x509.alternative_names"], '["localhost"]')
        self.assertEqual(got["$.certprobe.findings[?(@.check=='name')].state.first()"], "OK")
        self.assertIn(got["$.certprobe.state"], ("OK", "WARNING"))
        not_after = int(got["$.x509.not_after.timestamp"])
        self.assertAlmostEqual((not_after - time.time()) / 86400, 60, delta=1)
        self.assertAlmostEqual(float(got["$.certprobe.days_left"]), 60, delta=1)

    def test_dependent_items_on_a_failed_connection(self):
        t = self.by_host["certprobe TLS"]
        doc = self.run_plugin(self.command(t, self.closed_port))
        self.assertEqual(doc["error"]["code"], 2, doc)
        self.assertTrue(doc["error"]["message"])
        master = self.master_items(t)[0]
        for item in self.dependents_of(t, master["key"]):
            path = item["preprocessing"][0]["parameters"][0]
            outcome, value = preprocess(item, doc)
            self.assertNotEqual(outcome, "error", "%s would become unsupported: %s" % (item["key"], value))
            if path == "$.error.message":
                self.assertEqual((outcome, value), ("value", doc["error"]["message"]))
            elif path.startswith("$.certprobe.") and "findings" not in path and outcome == "value":
                self.assertTrue(value_fits(item.get("value_type", "UNSIGNED"), value), item["key"])
            elif not path.startswith("$.certprobe."):
                self.assertEqual(outcome, "discard", "%s keeps its last value" % item["key"])

    def test_every_master_key_is_a_valid_command_line(self):
        # The STARTTLS plugins cannot be served by s_server; a closed port proves the arguments parse.
        for t in self.templates:
            with self.subTest(template=t["template"]):
                doc = self.run_plugin(self.command(t, self.closed_port))
                self.assertIn("error", doc)
                checks = [f["check"] for f in doc["certprobe"]["findings"]]
                self.assertNotIn("arguments", checks, doc)
                self.assertIn("connection", checks, doc)


# ---------------------------------------------------------------------------------------------
# The inventory template: low-level discovery of the endpoints of certprobe's inventory

LLD_MACRO_RE = re.compile(r"\{#[A-Z0-9_.]+\}")


def tree_builds(binary):
    """True when Cargo.toml declares this binary (check_cert_inventory arrives from another branch)."""
    with open(os.path.join(ROOT, "Cargo.toml"), encoding="utf-8") as f:
        return re.search(r'^name = "%s"$' % re.escape(binary), f.read(), re.M) is not None


class InventoryTemplateBase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        yaml = import_yaml()
        if yaml is None:
            raise unittest.SkipTest("PyYAML is missing (Debian: apt-get install python3-yaml)")
        with open(INVENTORY_TEMPLATE, encoding="utf-8") as f:
            cls.doc = yaml.safe_load(f)
        cls.export = cls.doc["zabbix_export"]
        cls.templates = cls.export.get("templates", [])
        cls.template = cls.templates[0]
        cls.rule = cls.template["discovery_rules"][0]
        cls.prototypes = cls.rule.get("item_prototypes", [])
        cls.macros = {m["macro"]: m.get("value", "") for m in cls.template.get("macros", [])}

    @classmethod
    def master(cls):
        return [i for i in cls.prototypes if i.get("type") != "DEPENDENT"][0]

    @classmethod
    def trigger_prototypes(cls):
        nested = [tr for i in cls.prototypes for tr in i.get("trigger_prototypes", [])]
        return nested + cls.rule.get("trigger_prototypes", [])

    @classmethod
    def resolve(cls, text, lld, macros=None):
        """User macros by the template defaults (or `macros`), LLD macros by a discovered row."""
        values = dict(cls.macros, **(macros or {}))
        text = USER_MACRO_RE.sub(lambda m: values["{$%s}" % m.group(1)], text)
        return LLD_MACRO_RE.sub(lambda m: str(lld[m.group(0)]), text)


class InventoryStaticTest(InventoryTemplateBase):
    def test_layout_and_version(self):
        self.assertEqual(self.export["version"], "6.0")
        self.assertNotIn("template_groups", self.export)
        self.assertEqual(len(self.templates), 1)
        self.assertEqual(self.template["template"], "certprobe inventory")
        self.assertEqual([g["name"] for g in self.template["groups"]], ["Templates/Applications"])
        self.assertEqual(len(self.template["discovery_rules"]), 1)
        self.assertNotIn("items", self.template, "every item comes from the discovery rule")

    def test_uuids_are_v4_and_unique_across_both_files(self):
        with open(TEMPLATE, encoding="utf-8") as f:
            other = import_yaml().safe_load(f)["zabbix_export"]
        # Templates/Applications is one group, the same uuid in both files; nothing else is shared.
        theirs = {v for p, v in uuids_in(other) if not p.startswith("zabbix_export.groups")}
        found = list(uuids_in(self.export))
        self.assertGreater(len(found), 15)
        seen = set()
        for path, value in found:
            self.assertRegex(value, UUID_RE, path)
            self.assertEqual(value[12], "4", path)
            self.assertIn(value[16], "89ab", path)
            self.assertNotIn(value, seen, path)
            seen.add(value)
            if not path.startswith("zabbix_export.groups"):
                self.assertNotIn(value, theirs, "%s repeats a uuid of certprobe_template.yaml" % path)

    def test_discovery_rule_runs_the_inventory_export(self):
        self.assertEqual(self.rule["type"], "EXTERNAL")
        name, params = parse_key(self.rule["key"])
        self.assertEqual(name, "certprobe")
        self.assertEqual(params[params.index("--db") + 1], "{$CERTPROBE.DB}")
        self.assertEqual(params[params.index("--to") + 1], "zabbix-lld")
        self.assertLess(params.index("inventory"), params.index("export"))
        steps = self.rule.get("preprocessing", [])
        self.assertEqual([(s["type"], s["parameters"]) for s in steps], [("JSONPATH", ["$.data"])])
        conditions = self.rule["filter"]["conditions"]
        self.assertEqual(len({c["formulaid"] for c in conditions}), len(conditions))
        for c in conditions:
            self.assertIn(c["macro"], ("{#IP}", "{#PORT}", "{#SNI}", "{#PROTO}"))
            self.assertIn(c.get("operator", "MATCHES_REGEX"), ("MATCHES_REGEX", "NOT_MATCHES_REGEX"))

    def test_item_prototypes(self):
        master = self.master()
        self.assertEqual([i for i in self.prototypes if i.get("type") != "DEPENDENT"], [master])
        self.assertEqual(master["type"], "EXTERNAL")
        self.assertEqual(master["value_type"], "TEXT")
        name, params = parse_key(master["key"])
        self.assertEqual(name, "check_cert_inventory")
        for option, value in (("--ip", "{#IP}"), ("--port", "{#PORT}"), ("--host", "{#SNI}"),
                              ("--output", "zabbix"), ("--db", "{$CERTPROBE.DB}")):
            self.assertEqual(params[params.index(option) + 1], value, option)
        keys = [i["key"] for i in self.prototypes]
        self.assertEqual(len(keys), len(set(keys)))
        for item in self.prototypes:
            # One item per endpoint: every key names the address, port and name.
            for macro in ("{#IP}", "{#PORT}", "{#SNI}"):
                self.assertIn(macro, item["key"], item["key"])
            self.assertTrue(LLD_MACRO_RE.search(item["name"]), item["name"])
            if item is master:
                continue
            self.assertEqual(item["master_item"]["key"], master["key"])
            self.assertEqual(item.get("delay", "0"), "0")
            self.assertEqual(item["preprocessing"][0]["type"], "JSONPATH")
            if "valuemap" in item:
                self.assertIn(item["valuemap"]["name"], {v["name"] for v in self.template.get("valuemaps", [])})

    def test_trigger_prototypes(self):
        keys = {i["key"] for i in self.prototypes}
        triggers = self.trigger_prototypes()
        self.assertGreaterEqual(len(triggers), 5)
        known = {(tr["name"], tr["expression"]) for tr in triggers}
        self.assertEqual(len(known), len(triggers))
        for item in self.prototypes:
            for tr in item.get("trigger_prototypes", []):
                self.assertEqual({k for _, k in item_queries(tr["expression"])}, {item["key"]}, tr["name"])
        for tr in self.rule.get("trigger_prototypes", []):
            self.assertGreater(len({k for _, k in item_queries(tr["expression"])}), 1, tr["name"])
        for tr in triggers:
            self.assertTrue(LLD_MACRO_RE.search(tr["name"]), "%s: not unique per endpoint" % tr["name"])
            for expr in [tr["expression"]] + [d["expression"] for d in tr.get("dependencies", [])]:
                for host, key in item_queries(expr):
                    self.assertEqual(host, self.template["template"], tr["name"])
                    self.assertIn(key, keys, tr["name"])
            for d in tr.get("dependencies", []):
                self.assertIn((d["name"], d["expression"]), known, "%s -> %s" % (tr["name"], d["name"]))

    def test_macros_are_defined(self):
        used = {"{$%s}" % name for s in strings_in(self.template) for name in USER_MACRO_RE.findall(s)}
        self.assertFalse(used - set(self.macros), sorted(used - set(self.macros)))
        for m in self.template["macros"]:
            self.assertTrue(m.get("description"), m["macro"])
        # A host may link this template and the per-host ones: shared names, shared defaults.
        with open(TEMPLATE, encoding="utf-8") as f:
            other = import_yaml().safe_load(f)["zabbix_export"]
        for t in other["templates"]:
            for m in t.get("macros", []):
                if m["macro"] in self.macros:
                    self.assertEqual(self.macros[m["macro"]], m.get("value", ""), m["macro"])

    def test_error_item_sets_empty_on_fail(self):
        errors = [i for i in self.prototypes if i.get("type") == "DEPENDENT"
                  and i["preprocessing"][0]["parameters"] == ["$.error.message"]]
        self.assertEqual(len(errors), 1)
        self.assertEqual(errors[0]["preprocessing"][0].get("error_handler"), "CUSTOM_VALUE")


class InventoryLiveTest(InventoryTemplateBase):
    """A real inventory: the discovery rule's command, its preprocessing and filter, the prototypes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not shutil.which("openssl"):
            raise unittest.SkipTest("openssl is missing")
        certprobe = os.path.join(PLUGIN_DIR, "certprobe")
        if not os.access(certprobe, os.X_OK) and shutil.which("cargo") and "CERTPROBE_PLUGIN_DIR" not in os.environ:
            subprocess.run(["cargo", "build", "--release", "--bins"], cwd=ROOT, check=False)
        if not os.access(certprobe, os.X_OK):
            raise unittest.SkipTest("certprobe is not built in %s" % PLUGIN_DIR)
        cls.tmp = tempfile.mkdtemp(prefix="certprobe-zabbix-lld-")
        cert, key = os.path.join(cls.tmp, "cert.pem"), os.path.join(cls.tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "60", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cls.port = free_port()
        cls.server = subprocess.Popen(
            ["openssl", "s_server", "-accept", "127.0.0.1:%d" % cls.port, "-cert", cert, "-key", key,
             "-www", "-quiet"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", cls.port), timeout=1).close()
                break
            except OSError:
                if cls.server.poll() is not None or time.monotonic() > deadline:
                    cls.tearDownClass()
                    raise unittest.SkipTest("openssl s_server did not start")
                time.sleep(0.1)
        cls.db = os.path.join(cls.tmp, "inventory.sqlite")
        # The address once with a name and once without: two endpoints, two items.
        scan = subprocess.run(
            [certprobe, "--db", cls.db, "scan", "--targets", "127.0.0.1", "--ports", str(cls.port),
             "--sni", "127.0.0.1=localhost", "--no-revocation", "--allow-self-signed"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        if scan.returncode != 0:
            cls.tearDownClass()
            raise AssertionError("certprobe scan failed: %s" % scan.stderr.decode())
        unnamed = subprocess.run(
            [certprobe, "--db", cls.db, "scan", "--targets", "127.0.0.1", "--ports", str(cls.port),
             "--job", "bare", "--no-revocation", "--allow-self-signed"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        if unnamed.returncode != 0:
            cls.tearDownClass()
            raise AssertionError("certprobe scan failed: %s" % unnamed.stderr.decode())

    @classmethod
    def tearDownClass(cls):
        server = getattr(cls, "server", None)
        if server is not None and server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=5)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        if getattr(cls, "tmp", None):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_key(self, key, lld=None):
        """The key as Zabbix runs an external check: <ExternalScripts>/<name> with each parameter."""
        name, params = parse_key(key)
        args = [self.resolve(p, lld or {}, {"{$CERTPROBE.DB}": self.db}) for p in params]
        for a in args:
            self.assertNotIn("{", a, "unresolved macro in %r" % args)
        res = subprocess.run([os.path.join(PLUGIN_DIR, name)] + args,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        # Zabbix stores stdout + stderr and ignores the exit code: stderr must stay empty.
        self.assertEqual(res.stderr, b"", args)
        return res.stdout.decode("utf-8")

    def discovered(self):
        out = self.run_key(self.rule["key"])
        found, text = jsonpath(json.loads(out), self.rule["preprocessing"][0]["parameters"][0])
        self.assertTrue(found, out)
        rows = json.loads(text)
        self.assertIsInstance(rows, list)
        for row in rows:
            for macro, value in row.items():
                self.assertRegex(macro, r"^\{#[0-9A-Z_.]+\}$")
                self.assertIsInstance(value, (str, int, float, bool), macro)
        kept = []
        for row in rows:
            ok = True
            for c in self.rule["filter"]["conditions"]:
                matched = re.search(self.resolve(c["value"], {}), str(row.get(c["macro"], ""))) is not None
                ok &= matched if c.get("operator", "MATCHES_REGEX") == "MATCHES_REGEX" else not matched
            if ok:
                kept.append(row)
        return kept

    def test_discovery_finds_every_endpoint_and_the_filter_keeps_them(self):
        port = str(self.port)
        self.assertEqual(self.discovered(), [
            {"{#IP}": "127.0.0.1", "{#PORT}": port, "{#PROTO}": "tls", "{#SNI}": ""},
            {"{#IP}": "127.0.0.1", "{#PORT}": port, "{#PROTO}": "tls", "{#SNI}": "localhost"},
        ])

    def test_prototypes_expand_to_distinct_items_and_triggers(self):
        rows = self.discovered()
        keys = [self.resolve(i["key"], row) for row in rows for i in self.prototypes]
        self.assertEqual(len(keys), len(set(keys)))
        names = [self.resolve(tr["name"], row) for row in rows for tr in self.trigger_prototypes()]
        self.assertEqual(len(names), len(set(names)))
        for text in keys + names:
            self.assertNotIn("{#", text)

    def test_item_prototypes_on_the_inventory(self):
        if not tree_builds("check_cert_inventory"):
            self.skipTest("check_cert_inventory is not a binary of this tree yet")
        if not os.access(os.path.join(PLUGIN_DIR, "check_cert_inventory"), os.X_OK):
            self.fail("check_cert_inventory is not built in %s" % PLUGIN_DIR)
        master = self.master()
        for row in self.discovered():
            with self.subTest(endpoint=row):
                doc = json.loads(self.run_key(master["key"], row))
                self.assertIn("certprobe", doc)
                for item in self.prototypes:
                    if item is master:
                        continue
                    outcome, value = preprocess(item, doc)
                    self.assertNotEqual(outcome, "error", "%s: %s" % (item["key"], value))
                    if outcome == "value":
                        self.assertTrue(value_fits(item.get("value_type", "UNSIGNED"), value), item["key"])
                self.assertIn(doc["certprobe"]["state"], ("OK", "WARNING", "CRITICAL", "UNKNOWN"))


class HelperTest(unittest.TestCase):
    def test_parse_key(self):
        self.assertEqual(parse_key('a.b["-H","{$X:tls}",7, q ]'), ("a.b", ["-H", "{$X:tls}", "7", "q"]))
        self.assertEqual(parse_key("k"), ("k", []))

    def test_item_queries(self):
        expr = 'last(/T x/a.b[c]) - now() > 0 and find(/T x/k["x,y]"],,"like","v")=1'
        self.assertEqual(item_queries(expr), [("T x", "a.b[c]"), ("T x", 'k["x,y]"]')])

    def test_jsonpath(self):
        doc = {"a": {"b": 1, "n": None}, "f": [{"c": "x", "s": "OK"}, {"c": "y", "s": "BAD"}]}
        self.assertEqual(jsonpath(doc, "$.a.b"), (True, "1"))
        self.assertEqual(jsonpath(doc, "$.a.n"), (True, ""))
        self.assertEqual(jsonpath(doc, "$.a.z"), (False, None))
        self.assertEqual(jsonpath(doc, "$.f[?(@.c=='y')].s.first()"), (True, "BAD"))
        self.assertEqual(jsonpath(doc, "$.f[?(@.c=='y')].s"), (True, '["BAD"]'))
        self.assertEqual(jsonpath(doc, "$.f[?(@.c=='z')].s.first()"), (False, None))


if __name__ == "__main__":
    unittest.main()
