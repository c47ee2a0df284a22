import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Registered on the dev server by scripts/temporal.sh (keep the two lists in step; a test checks they agree).
// They make the Temporal UI's workflow list answer "which runbooks touched this app, and who ran them".
export const RunbookName = defineSearchAttributeKey('RunbookName', SearchAttributeType.KEYWORD);
export const HerokuApp = defineSearchAttributeKey('HerokuApp', SearchAttributeType.KEYWORD);
export const Environment = defineSearchAttributeKey('Environment', SearchAttributeType.KEYWORD);
export const Operator = defineSearchAttributeKey('Operator', SearchAttributeType.KEYWORD);
export const RunbookOutcome = defineSearchAttributeKey('RunbookOutcome', SearchAttributeType.KEYWORD);
/** Who approved (verified emails), once a run's plan is approved. */
export const Approver = defineSearchAttributeKey('Approver', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [RunbookName, HerokuApp, Environment, Operator, RunbookOutcome, Approver];
