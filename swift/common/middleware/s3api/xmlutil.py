# XML in and out for s3api. Documents we write carry S3's namespace on the root
# (http://s3.amazonaws.com/doc/2006-03-01/) and an XML declaration, as AWS and Swift's
# s3api do; documents we read (CreateBucketConfiguration, Delete,
# CompleteMultipartUpload) are matched by local name, with or without a namespace.
# Request bodies are size-limited by the callers before parsing; Python's expat
# refuses external entities and limits entity expansion.
"""Building and parsing the S3 XML documents."""

from xml.etree import ElementTree

S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/'


class XMLSyntaxError(ValueError):
    """A request body that is not well-formed XML."""


def new_element(tag, namespace=True):
    """A root element (with S3's xmlns unless ``namespace`` is False)."""
    elem = ElementTree.Element(tag)
    if namespace:
        elem.set('xmlns', S3_NAMESPACE)
    return elem


def sub_element(parent, tag, text=None):
    """A child element of ``parent``; ``text`` (str/int/bool) becomes its text."""
    elem = ElementTree.SubElement(parent, tag)
    if text is not None:
        if isinstance(text, bool):
            text = 'true' if text else 'false'
        elem.text = str(text)
    return elem


def to_xml(root):
    """Serialize with ``<?xml version='1.0' encoding='UTF-8'?>`` (bytes)."""
    return ElementTree.tostring(root, encoding='UTF-8', xml_declaration=True)


def local_name(tag):
    """``{ns}Key`` -> ``Key``."""
    return tag.rsplit('}', 1)[-1]


def parse_xml(data):
    """Parse a request body.

    :param data: bytes.
    :returns: the root Element.
    :raises XMLSyntaxError: when it is not well-formed.
    """
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError as err:
        raise XMLSyntaxError(str(err))


def children(elem, name):
    """Direct children of ``elem`` whose local name is ``name``."""
    return [child for child in elem if local_name(child.tag) == name]


def child_text(elem, name, default=None):
    """Text of the first child named ``name`` ('' when empty), else ``default``."""
    for child in elem:
        if local_name(child.tag) == name:
            return child.text or ''
    return default
