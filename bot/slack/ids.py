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


# App Home and what opens from it.
HOME_DRILL = "home_drill"  # value: JSON of the drill-down asked for
HOME_SETTINGS = "home_team_settings"  # value: the team's name
HOME_TEST_SURVEY = "home_test_survey"  # value: the team's name
DRILL_REASON = "drill_reason"
DRILL_AGENT = "drill_agent"
DRILL_PAGE = "drill_page"
DRILL_CLEAR = "drill_clear"
VIEW_DRILL = "home_drill_down"
VIEW_TEAM_SETTINGS = "home_team_settings"
# Every input of the settings modal; its block_id is the setting's name.
TEAM_SETTING_ACTION = "value"
VIEW_TEST_SURVEY = "home_test_survey"
VIEW_NOT_ALLOWED = "home_not_allowed"
TEST_SURVEY_LANGUAGE_BLOCK = "test_survey_language"
TEST_SURVEY_LANGUAGE_ACTION = "language"
