"""Action ids and callback ids, in one place; the manifest test reads them too."""

from __future__ import annotations

import re

SHORTCUT_CLOSE_AND_SURVEY = "close_and_survey"

SURVEY_SCORE_PREFIX = "survey_score_"
SURVEY_SCORE_PATTERN = re.compile(rf"^{SURVEY_SCORE_PREFIX}\d+$")
SURVEY_ADD_COMMENT = "survey_add_comment"
SURVEY_CHANGE_ANSWER = "survey_change_answer"

VIEW_FOLLOW_UP = "survey_follow_up"
# The follow-up modal's input blocks and their elements.
FOLLOW_UP_REASONS_BLOCK = "follow_up_reasons"
FOLLOW_UP_REASONS_ACTION = "reasons"
FOLLOW_UP_COMMENT_BLOCK = "follow_up_comment"
FOLLOW_UP_COMMENT_ACTION = "comment"

ALERT_CLAIM = "alert_claim"
ALERT_RESOLVE = "alert_resolve"


def survey_score_action(score: int) -> str:
    return f"{SURVEY_SCORE_PREFIX}{score}"
