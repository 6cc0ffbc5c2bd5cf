"""The kinds of change a version records (`article_versions.change_kind`), and the groups of them
that the loader, the alerts, the feeds, the report and the command line each work with."""

NEW = "new"
EDITED = "edited"
RETITLED = "retitled"
DELETED = "deleted"
RESTORED = "restored"
REEXTRACTED = "reextracted"  # presswatch re-read its own archive: never the publisher's doing
# A change of a source's site template (warehouse/template.py): one event per change of the model,
# never a version of an article; read from the template_changes view of migration 007.
TEMPLATE = "template"

# What a publisher did to a page: every kind but a re-extraction.
PUBLISHER_KINDS = (NEW, EDITED, RETITLED, DELETED, RESTORED)
# A known article changed: what the report, the feeds and an alert rule (by default) show.
CHANGED_KINDS = (EDITED, RETITLED, DELETED, RESTORED)
# Its title or text changed: these have a diff, word counts and a silent flag.
EDIT_KINDS = (EDITED, RETITLED)
# What the change report, the feed of every change and `presswatch changes` show by default.
SHOWN_KINDS = (*CHANGED_KINDS, TEMPLATE)
# What an alert rule may ask for (only rules that list `template` get template events).
ALERT_KINDS = (*PUBLISHER_KINDS, TEMPLATE)
# What `presswatch changes --kind` takes: the changes of known articles, template events, re-extractions.
REPORTED_KINDS = (*SHOWN_KINDS, REEXTRACTED)
# The kinds whose version holds a text (a tombstone, `deleted`, holds none).
VERSIONED_KINDS = (NEW, EDITED, RETITLED, RESTORED, REEXTRACTED)
