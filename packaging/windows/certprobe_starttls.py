#!/usr/bin/env python3
"""certprobe for PRTG's *Python Script Advanced* sensor: the STARTTLS certificate check.

For sites that ran the "STARTTLS certificate" Python sensor: keep the sensor and its
"Additional Parameters" (``port: 25, protocol: smtp, cert_domainname: mta.example.com,
cert_domainname_validation: cn``) and replace its script with this one, in
``<PRTG program dir>\\Custom Sensors\\python``.

PRTG calls the script with one argument, a JSON object with (among others) the device address in
"host" and the Additional Parameters in "params". The script runs check_smtp_cert.exe with the
device address first and the parameter string after it, split on whitespace (the plugin accepts
``%host port: 25, protocol: smtp, ...`` in pieces), and prints the plugin's PRTG JSON unchanged.
Any failure is ``{"prtg": {"error": 1, "text": "..."}}``. The exit code is always 0.

check_smtp_cert.exe is looked for, in this order: the path in the environment variable
CERTPROBE_EXE, next to this script, in ``..\\EXEXML``. Standard library only.
"""

import json
import os
import subprocess
import sys

EXE_NAME = "check_smtp_cert.exe"
# The plugin ends within its own -t (10 s by default); PRTG's sensor timeout is 60 s by default.
TIMEOUT_SECONDS = 50
# PRTG cuts longer texts.
MAX_TEXT = 2000


def prtg_error(text):
    """The PRTG JSON of a failed scan."""
    return json.dumps({"prtg": {"error": 1, "text": str(text)[:MAX_TEXT]}})


def find_exe(environ=None, here=None):
    """The plugin to run: $CERTPROBE_EXE, else next to this script, else in ..\\EXEXML."""
    environ = os.environ if environ is None else environ
    here = os.path.dirname(os.path.abspath(__file__)) if here is None else here
    configured = environ.get("CERTPROBE_EXE", "").strip()
    if configured:
        if os.path.isfile(configured):
            return configured
        raise LookupError("CERTPROBE_EXE names %s, which does not exist" % configured)
    candidates = [
        os.path.join(here, EXE_NAME),
        os.path.normpath(os.path.join(here, os.pardir, "EXEXML", EXE_NAME)),
    ]
    for candidate in candidates:
        if os.path.isfile(candidate):
            return candidate
    raise LookupError(
        "%s not found (looked in %s; set CERTPROBE_EXE to its path)"
        % (EXE_NAME, " and ".join(candidates))
    )


def plugin_arguments(argv):
    """The plugin's arguments from PRTG's argv: [host, *params split on whitespace]."""
    if len(argv) < 2:
        raise ValueError("no sensor data: PRTG passes a JSON object as the first argument")
    try:
        data = json.loads(argv[1])
    except ValueError as e:
        raise ValueError("the sensor data is not JSON: %s" % e)
    if not isinstance(data, dict):
        raise ValueError("the sensor data is not a JSON object")
    host = str(data.get("host") or "").strip()
    if not host:
        raise ValueError("the sensor data has no device address (\"host\")")
    params = data.get("params") or ""
    if not isinstance(params, str):
        raise ValueError("the sensor's \"params\" is not a string")
    return [host] + params.split()


def run(argv, environ=None, here=None, timeout=None):
    """Runs the check; returns the text to print (PRTG JSON, bytes)."""
    try:
        args = plugin_arguments(argv)
        exe = find_exe(environ, here)
    except (ValueError, LookupError) as e:
        return prtg_error(e).encode()
    timeout = TIMEOUT_SECONDS if timeout is None else timeout
    try:
        proc = subprocess.run(
            [exe] + args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            timeout=timeout,
            # No console window flashing up on the probe.
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
        )
    except subprocess.TimeoutExpired:
        return prtg_error("%s did not finish within %s s" % (EXE_NAME, timeout)).encode()
    except OSError as e:
        return prtg_error("cannot run %s: %s" % (exe, e)).encode()
    out = proc.stdout.strip()
    try:
        parsed = json.loads(out.decode("utf-8"))
        valid = isinstance(parsed, dict) and isinstance(parsed.get("prtg"), dict)
    except ValueError:
        valid = False
    if not valid:
        detail = (out or proc.stderr.strip()).decode("utf-8", "replace")[:300]
        return prtg_error(
            "%s (exit code %d) printed no PRTG JSON: %s"
            % (EXE_NAME, proc.returncode, detail or "nothing")
        ).encode()
    return out


def main(argv=None):
    output = run(sys.argv if argv is None else argv)
    # The plugin's bytes as they are (UTF-8), whatever the console code page.
    stream = getattr(sys.stdout, "buffer", None)
    if stream is None:
        sys.stdout.write(output.decode("utf-8") + "\n")
    else:
        stream.write(output + b"\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
