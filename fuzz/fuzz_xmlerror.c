/* libFuzzer: XML error documents of every protocol, and the flat EC2/Query view (awsxml). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/awsxml.h"
#include "aws/s3proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TERMINATED(a) (strnlen((a), sizeof(a)) < sizeof(a))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lc_error err;
    struct lc_aws_xml_error x;
    struct lc_awsxml *d = NULL;
    struct lc_awsxml_opts o = {.max_entries = 64, .max_text = 256};
    int rc;

    lc_error_clear(&err);
    err.status = 403;
    rc = lc_aws_xml_error(data, size, &err, &x);
    if (err.kind != LC_E_AWS || err.status != 403)
        abort();
    if (rc == 0 && (!err.code[0] || !TERMINATED(x.region) || !TERMINATED(x.endpoint) ||
                    !TERMINATED(x.bucket) || !TERMINATED(x.type)))
        abort();
    if (rc != 0 && err.code[0])
        abort();
    if (!TERMINATED(err.code) || !TERMINATED(err.message) || !TERMINATED(err.request_id))
        abort();

    lc_error_clear(&err);
    rc = lc_awsxml_parse(data, size, size % 2 ? &o : NULL, &d, &err);
    if (rc == 0) {
        size_t n = lc_awsxml_count(d, "DescribeFlowLogsResponse/flowLogSet");
        for (size_t i = 0; i < n && i < 8; i++) {
            const char *s =
                lc_awsxml_getf(d, "DescribeFlowLogsResponse/flowLogSet/item[%zu]/flowLogId", i);
            if (s)
                (void)strlen(s);
        }
        (void)lc_awsxml_get(d, "AssumeRoleResponse/AssumeRoleResult/Credentials/AccessKeyId");
        (void)lc_awsxml_root(d);
        if (lc_awsxml_entries(d) > (size % 2 ? o.max_entries : 50000))
            abort();
        lc_awsxml_free(d);
    } else if (d) {
        abort();
    }
    return 0;
}
