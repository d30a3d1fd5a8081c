# swift-form-signature (Swift's cmdline/form_signature): prints the ``expires`` and
# ``signature`` fields a formpost form needs, and a sample HTML form.
#   swift-form-signature <path> <redirect> <max_file_size> <max_file_count> <seconds> <key>
# The signature is the hex HMAC-SHA512 (Swift 2.38 no longer signs with the deprecated
# sha1) of ``path\nredirect\nmax_file_size\nmax_file_count\nexpires`` (expires = now +
# seconds). Wrong argument count: the usage on stdout, exit 1. Bad values: one line on
# stderr, exit 1.
"""swift-form-signature."""

import hashlib
import hmac
import os
import sys
import time

USAGE = '''Syntax: %(prog)s <path> <redirect> <max_file_size> <max_file_count> <seconds> <key>

Where:
  <path>            The prefix to use for form uploaded
                    objects. For example:
                    /v1/account/container/object_prefix_ would
                    ensure all form uploads have that path
                    prepended to the browser-given file name.
  <redirect>        The URL to redirect the browser to after
                    the uploads have completed.
  <max_file_size>   The maximum file size per file uploaded.
  <max_file_count>  The maximum number of uploaded files
                    allowed.
  <seconds>         The number of seconds from now to allow
                    the form post to begin.
  <key>             The X-Account-Meta-Temp-URL-Key for the
                    account.

Example output:
    Expires: 1323842228
  Signature: 18de97e47345a82c4dbfb3b06a640dbb

Sample form:

NOTE: the <form> tag's "action" attribute does not contain the Swift cluster's hostname.
You should manually add it before using the form.

<form action="/v1/a/c/o" method="POST" enctype="multipart/form-data">
  <input type="hidden" name="max_file_size" value="123" />
  ... more HTML ...
  <input type="submit" />
</form>'''


class FormSignatureError(ValueError):
    """A bad argument; the text is the message shown to the user."""


def _parse(path, max_file_size, max_file_count, seconds, now):
    """Validated (max_file_size, max_file_count, expires) ints.

    :raises FormSignatureError: with Swift's message for the first bad argument.
    """
    try:
        size = int(max_file_size)
    except ValueError:
        size = -1
    if size < 0:
        raise FormSignatureError(
            'Please use a <max_file_size> value greater than or equal to 0.')
    try:
        count = int(max_file_count)
    except ValueError:
        count = 0
    if count < 1:
        raise FormSignatureError('Please use a positive <max_file_count> value.')
    try:
        seconds = int(seconds)
    except ValueError:
        seconds = 0
    # Swift only refuses a non-number; a form that has already expired is refused too
    if seconds < 1:
        raise FormSignatureError('Please use a positive <seconds> value.')
    expires = int(now + seconds)
    parts = path.split('/', 4)
    # ['', 'v1', account, container(, object prefix)]
    if len(parts) < 4 or parts[0] or parts[1] != 'v1' or not parts[2] or not parts[3]:
        raise FormSignatureError('<path> must point to a container at least.\n'
                                 'For example: /v1/account/container\n'
                                 '         Or: /v1/account/container/object_prefix')
    return size, count, expires


def form_signature(path: str, redirect: str, max_file_size: int, max_file_count: int,
                   expires: int, key: str) -> str:
    """Hex HMAC-SHA512 formpost signature (the message formpost checks)."""
    message = '%s\n%s\n%s\n%s\n%s' % (path, redirect, max_file_size, max_file_count,
                                      expires)
    return hmac.new(key.encode('utf-8', 'surrogateescape'),
                    message.encode('utf-8', 'surrogateescape'),
                    hashlib.sha512).hexdigest()


def sample_form(path, redirect, max_file_size, max_file_count, expires, signature):
    """The sample HTML form lines."""
    lines = ['<form action="%s" method="POST" enctype="multipart/form-data">' % path]
    if redirect:
        lines.append('  <input type="hidden" name="redirect" value="%s" />' % redirect)
    lines += ['  <input type="hidden" name="max_file_size" value="%d" />' % max_file_size,
              '  <input type="hidden" name="max_file_count" value="%d" />'
              % max_file_count,
              '  <input type="hidden" name="expires" value="%d" />' % expires,
              '  <input type="hidden" name="signature" value="%s" />' % signature,
              '  <!-- This signature allows for at most %d files, -->' % max_file_count,
              '  <!-- but it may also have any smaller number. -->',
              '  <!-- Remove file inputs as needed. -->']
    for index in range(max_file_count):
        lines += ['  <input type="file" name="file%d" />' % index, '  <br />']
    lines += ['  <input type="submit" />', '</form>']
    return lines


def main(argv: list = None, *, out=None, err=None, clock=time) -> int:
    """Entry point; returns the exit status (0, or 1 for bad usage/arguments).

    :param argv: arguments without the program name (default ``sys.argv[1:]``).
    """
    out = out or sys.stdout
    err = err or sys.stderr
    prog = os.path.basename(sys.argv[0]) if argv is None else 'swift-form-signature'
    args = sys.argv[1:] if argv is None else list(argv)
    if len(args) != 6:
        try:
            print(USAGE % {'prog': prog}, file=out)
            out.flush()
        except BrokenPipeError:
            pass
        return 1
    path, redirect, max_file_size, max_file_count, seconds, key = args
    try:
        size, count, expires = _parse(path, max_file_size, max_file_count, seconds,
                                      clock.time())
    except FormSignatureError as error:
        print(error, file=err)
        return 1
    signature = form_signature(path, redirect, size, count, expires, key)
    lines = ['  Expires: %d' % expires, 'Signature: %s' % signature, '',
             'Sample form:', '',
             'NOTE: the <form> tag\'s "action" attribute does not contain the Swift '
             'cluster\'s hostname.',
             'You should manually add it before using the form.', '']
    lines += sample_form(path, redirect, size, count, expires, signature)
    try:
        out.write('\n'.join(lines) + '\n')
        out.flush()
    except BrokenPipeError:   # e.g. piped into head: not an error worth a traceback
        return 0
    return 0


if __name__ == '__main__':
    sys.exit(main())
