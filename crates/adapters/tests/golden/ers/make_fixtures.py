#!/usr/bin/env python3
"""Writes the e-RS golden inputs: each published A005 example (and a few other e-RS responses
that return a full ReferralRequest) wrapped as the worklist poller journals it, a Bundle of type
collection whose first entry is the ReferralRequest. Run from this directory:
    python3 make_fixtures.py /work/shared/specs/ers
The synthetic inputs (full_synthetic, minimal, bad_*) are written by hand and not touched."""
import json
import os
import sys

SPEC = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/specs/ers"
EXAMPLES = {
    # A005 retrieveReferralRequest (identical in examples/ and components/stu3/examples/).
    "a005_booked_dbs": "examples/retrieveReferralRequest/responses/BookedDBS.json",
    "a005_booked_ibs": "examples/retrieveReferralRequest/responses/BookedIBS.json",
    "a005_converted_from_advice_and_guidance": "examples/retrieveReferralRequest/responses/ConvertedFromAdviceAndGuidance.json",
    "a005_deferred_to_provider": "examples/retrieveReferralRequest/responses/DeferredToProvider.json",
    "a005_unbooked": "examples/retrieveReferralRequest/responses/Unbooked.json",
    "a005_with_additional_requirements": "examples/retrieveReferralRequest/responses/WithAdditionalRequirements.json",
    "a005_with_related_referral": "examples/retrieveReferralRequest/responses/WithRelatedReferral.json",
    "a005_with_unavailable_attachments": "examples/retrieveReferralRequest/responses/WithUnavailableAttachments.json",
    # Other operations' responses carrying the same ReferralRequest shape in other states.
    "stu3_rejected_dbs": "components/stu3/examples/rejectReferral/responses/ExampleResponseDbs.json",
    "stu3_awaiting_triage_named_clinician": "components/stu3/examples/createReferralAndSendForTriage/responses/ReferralRequestWithNamedClinician.json",
    "stu3_priority_change_with_attachments": "components/stu3/examples/cancelAppointmentActionLater/responses/PriorityChangeAndWithAttachmentsDBS.json",
    "stu3_return_to_referrer_with_advice": "components/stu3/examples/recordTriageOutcome/responses/ReturnToReferrerWithAdvice.json",
}

for stem, rel in EXAMPLES.items():
    with open(os.path.join(SPEC, rel)) as f:
        rr = json.load(f)
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": rr}]}
    with open(stem + ".stu3", "w") as f:
        json.dump(bundle, f, indent=2)
        f.write("\n")
