"""Unit tests of packaging/windows/certprobe_starttls.py, the PRTG Python Script Advanced wrapper.

Run from the repository root:  python3 -m unittest tests/integration/test_prtg_wrapper.py
check_smtp_cert.exe is faked by a small Python script (POSIX only: it relies on the #! line).
"""

import importlib.util
import io
import json
import os
import shutil
import stat
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WRAPPER = os.path.join(ROOT, "packaging", "windows", "certprobe_starttls.py")


def load_wrapper(path=WRAPPER):
    spec = importlib.util.spec_from_file_location("certprobe_starttls_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The fake plugin: records its arguments in ARGS_FILE (next to it) and prints what FAKE_MODE asks.
FAKE_EXE = r'''#!{python}
import json, os, sys, time
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "args.json"), "w") as f:
    json.dump(sys.argv[1:], f)
mode = os.environ.get("FAKE_MODE", "ok")
if mode == "ok":
    print(json.dumps({{"prtg": {{"result": [{{"channel": "Days to Expiration", "value": 199}}],
                                 "text": "OK. Certificate Common Name: mx.example - \u00e9"}}}}, ensure_ascii=False))
elif mode == "error":
    print('{{"prtg":{{"error":1,"text":"127.0.0.1:25: connection refused"}}}}')
elif mode == "garbage":
    print("Segmentation fault")
    sys.exit(139)
elif mode == "silent":
    sys.stderr.write("something went wrong on stderr\n")
    sys.exit(3)
elif mode == "sleep":
    time.sleep(30)
'''


@unittest.skipIf(os.name == "nt", "the fake plugin is a #! script")
class WrapperTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="certprobe-wrapper-")
        self.addCleanup(shutil.rmtree, self.tmp)
        self.wrapper = load_wrapper()
        self.environ = {"FAKE_MODE": "ok"}
        self.saved_env = dict(os.environ)
        self.addCleanup(self.restore_env)

    def restore_env(self):
        os.environ.clear()
        os.environ.update(self.saved_env)

    def make_fake(self, folder, name="check_smtp_cert.exe"):
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, name)
        with open(path, "w") as f:
            f.write(FAKE_EXE.format(python=sys.executable))
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        return path

    def recorded_args(self, folder):
        with open(os.path.join(folder, "args.json")) as f:
            return json.load(f)

    def run_wrapper(self, sensor, here=None, mode="ok", timeout=None, environ=None):
        os.environ["FAKE_MODE"] = mode  # the fake reads it from the inherited environment
        argv = ["certprobe_starttls.py"] if sensor is None else ["certprobe_starttls.py", sensor]
        env = {} if environ is None else environ
        return self.wrapper.run(argv, environ=env, here=here or self.tmp, timeout=timeout)

    @staticmethod
    def sensor(host="mx.example.com", params="port: 25, protocol: smtp", **extra):
        data = {"host": host, "params": params, "sensorid": "2042", "timeout": "60"}
        data.update(extra)
        return json.dumps(data)

    # --- arguments ---------------------------------------------------------------------

    def test_host_first_then_params_split_on_whitespace(self):
        self.make_fake(self.tmp)
        params = "port: 25,  protocol: smtp, cert_domainname: mta.example.com,\tcert_domainname_validation: cn"
        out = self.run_wrapper(self.sensor("192.0.2.25", params))
        self.assertEqual(
            self.recorded_args(self.tmp),
            ["192.0.2.25", "port:", "25,", "protocol:", "smtp,", "cert_domainname:",
             "mta.example.com,", "cert_domainname_validation:", "cn"],
        )
        self.assertEqual(json.loads(out.decode())["prtg"]["result"][0]["value"], 199)

    def test_empty_params_pass_only_the_host(self):
        self.make_fake(self.tmp)
        self.run_wrapper(self.sensor(params=""))
        self.assertEqual(self.recorded_args(self.tmp), ["mx.example.com"])

    def test_missing_params_key_passes_only_the_host(self):
        self.make_fake(self.tmp)
        self.run_wrapper(json.dumps({"host": "mx.example.com"}))
        self.assertEqual(self.recorded_args(self.tmp), ["mx.example.com"])

    # --- output passed through unchanged ------------------------------------------------

    def test_plugin_output_is_printed_unchanged(self):
        fake = self.make_fake(self.tmp)
        os.environ["FAKE_MODE"] = "ok"
        import subprocess
        expected = subprocess.run([fake, "x"], stdout=subprocess.PIPE).stdout.strip()
        self.assertEqual(self.run_wrapper(self.sensor()), expected)
        self.assertIn("\u00e9".encode("utf-8"), expected)  # UTF-8 kept as bytes

    def test_plugin_error_json_is_passed_through(self):
        self.make_fake(self.tmp)
        out = self.run_wrapper(self.sensor(), mode="error")
        self.assertEqual(out, b'{"prtg":{"error":1,"text":"127.0.0.1:25: connection refused"}}')

    def test_main_prints_and_exits_zero(self):
        self.make_fake(self.tmp)
        copy = os.path.join(self.tmp, "certprobe_starttls.py")
        shutil.copy(WRAPPER, copy)  # so that "next to the script" is self.tmp
        module = load_wrapper(copy)
        os.environ["FAKE_MODE"] = "ok"
        os.environ.pop("CERTPROBE_EXE", None)
        captured = io.BytesIO()

        class Stdout:
            buffer = captured

            def flush(self):
                pass

        saved = sys.stdout
        sys.stdout = Stdout()
        try:
            code = module.main(["certprobe_starttls.py", self.sensor()])
        finally:
            sys.stdout = saved
        self.assertEqual(code, 0)
        self.assertTrue(captured.getvalue().endswith(b"\n"))
        self.assertEqual(json.loads(captured.getvalue())["prtg"]["result"][0]["channel"],
                         "Days to Expiration")

    # --- where the plugin is found ------------------------------------------------------

    def test_exe_next_to_the_script(self):
        self.make_fake(self.tmp)
        self.assertEqual(self.wrapper.find_exe({}, self.tmp),
                         os.path.join(self.tmp, "check_smtp_cert.exe"))

    def test_exe_in_exexml_folder(self):
        python_dir = os.path.join(self.tmp, "Custom Sensors", "python")
        os.makedirs(python_dir)
        fake = self.make_fake(os.path.join(self.tmp, "Custom Sensors", "EXEXML"))
        self.assertEqual(self.wrapper.find_exe({}, python_dir), fake)
        out = self.run_wrapper(self.sensor(), here=python_dir)
        self.assertNotIn(b'"error"', out)

    def test_next_to_the_script_wins_over_exexml(self):
        python_dir = os.path.join(self.tmp, "python")
        near = self.make_fake(python_dir)
        self.make_fake(os.path.join(self.tmp, "EXEXML"))
        self.assertEqual(self.wrapper.find_exe({}, python_dir), near)

    def test_certprobe_exe_environment_variable_wins(self):
        self.make_fake(self.tmp)
        elsewhere = self.make_fake(os.path.join(self.tmp, "elsewhere"), "my_check.exe")
        self.assertEqual(self.wrapper.find_exe({"CERTPROBE_EXE": elsewhere}, self.tmp), elsewhere)
        self.run_wrapper(self.sensor(), environ={"CERTPROBE_EXE": elsewhere})
        self.assertEqual(self.recorded_args(os.path.dirname(elsewhere)),
                         ["mx.example.com", "port:", "25,", "protocol:", "smtp"])

    # --- failures are PRTG errors -------------------------------------------------------

    def assertPrtgError(self, out, *fragments):
        data = json.loads(out.decode())
        self.assertEqual(list(data), ["prtg"])
        self.assertEqual(data["prtg"]["error"], 1)
        self.assertIsInstance(data["prtg"]["text"], str)
        self.assertLessEqual(len(data["prtg"]["text"]), 2000)
        for fragment in fragments:
            self.assertIn(fragment, data["prtg"]["text"])
        return data["prtg"]["text"]

    def test_exe_not_found(self):
        self.assertPrtgError(self.run_wrapper(self.sensor()), "check_smtp_cert.exe not found",
                             "CERTPROBE_EXE")

    def test_certprobe_exe_naming_a_missing_file(self):
        self.make_fake(self.tmp)
        missing = os.path.join(self.tmp, "nope.exe")
        self.assertPrtgError(self.run_wrapper(self.sensor(), environ={"CERTPROBE_EXE": missing}),
                             "CERTPROBE_EXE", "nope.exe")

    def test_no_argument(self):
        self.make_fake(self.tmp)
        self.assertPrtgError(self.run_wrapper(None), "no sensor data")

    def test_argument_not_json(self):
        self.make_fake(self.tmp)
        self.assertPrtgError(self.run_wrapper("port: 25, protocol: smtp"), "not JSON")

    def test_argument_not_an_object(self):
        self.make_fake(self.tmp)
        self.assertPrtgError(self.run_wrapper("[1, 2]"), "not a JSON object")

    def test_no_host(self):
        self.make_fake(self.tmp)
        self.assertPrtgError(self.run_wrapper(self.sensor(host="")), "device address")

    def test_plugin_prints_no_json(self):
        self.make_fake(self.tmp)
        self.assertPrtgError(self.run_wrapper(self.sensor(), mode="garbage"),
                             "exit code 139", "Segmentation fault")

    def test_plugin_prints_nothing(self):
        self.make_fake(self.tmp)
        self.assertPrtgError(self.run_wrapper(self.sensor(), mode="silent"),
                             "exit code 3", "something went wrong on stderr")

    def test_plugin_hangs(self):
        self.make_fake(self.tmp)
        self.assertPrtgError(self.run_wrapper(self.sensor(), mode="sleep", timeout=0.5),
                             "did not finish within 0.5 s")

    def test_plugin_not_executable(self):
        path = os.path.join(self.tmp, "check_smtp_cert.exe")
        with open(path, "w") as f:
            f.write("not a program\n")
        os.chmod(path, 0o644)
        self.assertPrtgError(self.run_wrapper(self.sensor()), "cannot run")

    def test_long_error_text_is_cut_to_2000(self):
        text = json.loads(self.wrapper.prtg_error("x" * 5000))["prtg"]["text"]
        self.assertEqual(len(text), 2000)


if __name__ == "__main__":
    unittest.main()
