# S3 errors (Swift's s3api s3response.py): every failure a client sees is an S3
# ``<Error>`` XML document with a Code, a Message, the RequestId and, for some codes,
# context elements (BucketName, Key, UploadId, ...). The classes below carry the HTTP
# status and default message of the code they are named after, as AWS documents them
# (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
"""S3 error classes and their XML rendering."""

from swift.common.middleware.s3api.xmlutil import to_xml, new_element, sub_element
from swift.common.swob import Response


class S3Error(Exception):
    """An S3 error answer.

    :param message: overrides the class's default message.
    :param extra: context elements (``BucketName='b'``, ``Key='k'``...) added to the
        XML in the given order; None values are skipped.
    :cvar status: HTTP status (int).
    :cvar code: S3 error code (the class name by default).
    """
    status = 500
    message = 'We encountered an internal error. Please try again.'
    code = None

    def __init__(self, message=None, headers=None, **extra):
        super().__init__(message or self.message)
        if message:
            self.message = message
        self.extra = {k: v for k, v in extra.items() if v is not None}
        self.headers = dict(headers or {})

    @property
    def error_code(self):
        return self.code or type(self).__name__

    def xml_body(self, request_id=''):
        """The ``<Error>`` document (bytes, with the XML declaration)."""
        root = new_element('Error', namespace=False)
        sub_element(root, 'Code', self.error_code)
        sub_element(root, 'Message', self.message)
        for name, value in self.extra.items():
            sub_element(root, name, str(value))
        sub_element(root, 'RequestId', request_id)
        return to_xml(root)

    def response(self, request_id='', method='GET'):
        """A swob Response with the XML body (none for HEAD: S3 sends no body there).

        :param request_id: the transaction id (also sent as x-amz-request-id).
        """
        headers = {'Content-Type': 'application/xml',
                   'x-amz-request-id': request_id, 'x-amz-id-2': request_id}
        headers.update(self.headers)
        body = b'' if method == 'HEAD' else self.xml_body(request_id)
        resp = Response(status=self.status, headers=headers, body=body)
        if method == 'HEAD':
            resp.headers['Content-Length'] = '0'
        return resp

    def __str__(self):
        return '%s: %s' % (self.error_code, self.message)


def _error(name, status, message, base=S3Error):
    return type(name, (base,), {'status': status, 'message': message,
                                '__doc__': 'S3 ``%s`` (HTTP %d).' % (name, status)})


InternalError = _error('InternalError', 500,
                       'We encountered an internal error. Please try again.')
ServiceUnavailable = _error('ServiceUnavailable', 503,
                            'Please reduce your request rate.')
NotImplementedError_ = _error('NotImplemented', 501,
                              'A header you provided implies functionality that is '
                              'not implemented.')
NotImplementedError_.code = 'NotImplemented'
MethodNotAllowed = _error('MethodNotAllowed', 405,
                          'The specified method is not allowed against this resource.')

# -- authentication (403 unless noted)
AccessDenied = _error('AccessDenied', 403, 'Access Denied.')
SignatureDoesNotMatch = _error(
    'SignatureDoesNotMatch', 403,
    'The request signature we calculated does not match the signature you provided. '
    'Check your key and signing method.')
InvalidAccessKeyId = _error('InvalidAccessKeyId', 403,
                            'The AWS Access Key Id you provided does not exist in our '
                            'records.')
RequestTimeTooSkewed = _error('RequestTimeTooSkewed', 403,
                              'The difference between the request time and the '
                              'current time is too large.')
AuthorizationHeaderMalformed = _error('AuthorizationHeaderMalformed', 400,
                                      'The authorization header that you provided is '
                                      'not valid.')
AuthorizationQueryParametersError = _error('AuthorizationQueryParametersError', 400,
                                           'The authorization query parameters that '
                                           'you provided are not valid.')
XAmzContentSHA256Mismatch = _error('XAmzContentSHA256Mismatch', 400,
                                   "The provided 'x-amz-content-sha256' header does "
                                   "not match what was computed.")
MissingSecurityHeader = _error('MissingSecurityHeader', 400,
                               'Your request was missing a required header.')

# -- request shape (400 unless noted)
InvalidArgument = _error('InvalidArgument', 400, 'Invalid Argument.')
InvalidRequest = _error('InvalidRequest', 400, 'Invalid Request.')
InvalidURI = _error('InvalidURI', 400, "Couldn't parse the specified URI.")
MalformedXML = _error('MalformedXML', 400,
                      'The XML you provided was not well-formed or did not validate '
                      'against our published schema.')
InvalidDigest = _error('InvalidDigest', 400,
                       'The Content-MD5 you specified was invalid.')
BadDigest = _error('BadDigest', 400,
                   'The Content-MD5 you specified did not match what we received.')
RequestTimeout = _error('RequestTimeout', 400,
                        'Your socket connection to the server was not read from or '
                        'written to within the timeout period.')
IncompleteBody = _error('IncompleteBody', 400,
                        'You did not provide the number of bytes specified by the '
                        'Content-Length HTTP header.')
MissingContentLength = _error('MissingContentLength', 411,
                              'You must provide the Content-Length HTTP header.')
EntityTooLarge = _error('EntityTooLarge', 400,
                        'Your proposed upload exceeds the maximum allowed object size.')
EntityTooSmall = _error('EntityTooSmall', 400,
                        'Your proposed upload is smaller than the minimum allowed '
                        'object size.')
KeyTooLongError = _error('KeyTooLongError', 400, 'Your key is too long.')
InvalidBucketName = _error('InvalidBucketName', 400,
                           'The specified bucket is not valid.')
InvalidLocationConstraint = _error('InvalidLocationConstraint', 400,
                                   'The specified location constraint is not valid.')
InvalidPart = _error('InvalidPart', 400,
                     'One or more of the specified parts could not be found. The part '
                     'might not have been uploaded, or the specified entity tag might '
                     "not have matched the part's entity tag.")
InvalidPartOrder = _error('InvalidPartOrder', 400,
                          'The list of parts was not in ascending order. The parts '
                          'list must be specified in order by part number.')
InvalidRange = _error('InvalidRange', 416, 'The requested range cannot be satisfied.')
PreconditionFailed = _error('PreconditionFailed', 412,
                            'At least one of the preconditions you specified did not '
                            'hold.')

# -- resources
NoSuchBucket = _error('NoSuchBucket', 404, 'The specified bucket does not exist.')
NoSuchKey = _error('NoSuchKey', 404, 'The specified key does not exist.')
NoSuchUpload = _error('NoSuchUpload', 404,
                      'The specified multipart upload does not exist. The upload ID '
                      'might be invalid, or the multipart upload might have been '
                      'aborted or completed.')
BucketAlreadyExists = _error('BucketAlreadyExists', 409,
                             'The requested bucket name is not available. The bucket '
                             'namespace is shared by all users of the system. Please '
                             'select a different name and try again.')
BucketAlreadyOwnedByYou = _error('BucketAlreadyOwnedByYou', 409,
                                 'Your previous request to create the named bucket '
                                 'succeeded and you already own it.')
BucketNotEmpty = _error('BucketNotEmpty', 409,
                        'The bucket you tried to delete is not empty')
