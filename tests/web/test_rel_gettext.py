"""Issue 14 (4): the templates' `_()` is safe by construction: a stored value given as the fallback of a lookup is
text (escaped, never %-formatted); messages of the catalogues are translated and formatted as before."""

from smartcustoms.web.i18n import translations
from smartcustoms.web.render import make_templates

ENV = make_templates().env


def render(source: str, locale: str = "fr", **context) -> str:
    return ENV.from_string("{% autoescape true %}" + source + "{% endautoescape %}").render(
        translations=translations(locale), **context)


def test_a_stored_value_through_gettext_is_text():
    out = render("{{ _(labels.CONTROL_TYPES.get(v, v)) }}", v='<script>pwn()</script><b onclick="x">100%d %(a)s',
                 labels=ENV.globals["labels"])
    assert "<script>" not in out and "<b " not in out
    assert out == "&lt;script&gt;pwn()&lt;/script&gt;&lt;b onclick=&#34;x&#34;&gt;100%d %(a)s"


def test_a_stored_value_that_equals_a_message_with_placeholders_is_text_too():
    message = "duty recovered %(duty)s"
    assert render("{{ _(v) }}", v=message) == message


def test_messages_of_the_catalogues_still_translate_and_format():
    assert render('{{ _("Status") }}') == "Statut"
    assert render('{{ _("duty recovered %(duty)s", duty="<b>") }}') == "droits recouvrés &lt;b&gt;"
    assert render('{% trans n=3 %}{{ n }} things{% endtrans %}') == "3 things"
    assert render('{{ _(labels.CONTROL_TYPES.get(v, v)) }}', v="physical", labels=ENV.globals["labels"]) != "physical"
