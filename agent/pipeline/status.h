/* The delivering services' own view of their deliveries, read in the source account:
 *   vpcflowlogs  EC2 DescribeFlowLogs (S3 destinations in this bucket): DeliverLogsStatus and
 *                DeliverLogsErrorMessage
 *   config       DescribeDeliveryChannels + DescribeDeliveryChannelStatus: the channel to this
 *                bucket, lastStatus / lastErrorCode / lastErrorMessage of history and snapshots
 *   cloudtrail   DescribeTrails + GetTrailStatus (in the trail's home region): IsLogging,
 *                LatestDeliveryError
 * Used by the diagnosis for streams that have a problem. */
#ifndef LC_STATUS_H
#define LC_STATUS_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "aws/aws.h"
#include "pipeline/plan.h"

struct lc_credprov;

struct lc_status_obs {
    bool asked;
    bool read;              /* the service answered */
    struct lc_error err;    /* why not */
    const char *permission; /* the permission a failed call needed (static string) */
    bool failed;            /* the service itself reports failed deliveries to this bucket */
    bool found;             /* a flow log / channel / trail delivering to this bucket exists */
    char *summary;          /* what the service says, one line */
    cJSON *detail;          /* evidence: the fields read */
    int requests;
};

/* Read the status for stream s with creds; done(ud) runs once from the loop. */
int lc_status_start(struct lc_aws *aws, struct lc_credprov *creds, const struct lc_stream *s,
                    struct lc_status_obs *out, void (*done)(void *ud), void *ud,
                    struct lc_error *err);
void lc_status_obs_free(struct lc_status_obs *o);

#endif
