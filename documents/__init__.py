"""The documents the service hands out: periodic reports (XLSX, PDF), charts (PNG),
event agendas (PDF, .ics) and schedules (XLSX).

They are rendered synchronously, by a page (a chart, an agenda) or by a job (a report),
so they live below both: webapp → jobs → documents → matching → catalog. Nothing here
imports Flask. Text in the reader's language comes in as a ``content.Translator`` made
by the caller (``jobs.i18n.document_language``), which forces the locale the way the
mail jobs do; the msgids are marked here and translated in the web interface's
catalogue. One module per format, plus the report's content that every format shows.
"""
