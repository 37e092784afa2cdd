package dev.tandem.migration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Which names in an expression PostgreSQL printed back are the column, and so move to its shadow. */
class ColumnReferencesTest {
    private static String rename(String text) {
        return ColumnReferences.rename(text, Map.of("email", "\"S\"", "Mixed Case", "\"M\""), Set.of()).text();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '¦', quoteCharacter = '`', value = {
            "lower(email) ¦ lower(\"S\")",
            "(email IS NOT NULL) ¦ (\"S\" IS NOT NULL)",
            "EMAIL || Email ¦ \"S\" || \"S\"",                 // bare names fold to lower case
            "\"email\" = 'x' ¦ \"S\" = 'x'",
            "\"Email\" = email ¦ \"Email\" = \"S\"",             // a quoted name is exact
            "\"Mixed Case\" > 0 ¦ \"M\" > 0",
            "'email' || email ¦ 'email' || \"S\"",             // a string literal
            "'it''s email' || email ¦ 'it''s email' || \"S\"",
            "E'\\' email' || email ¦ E'\\' email' || \"S\"",        // backslash escape in E''
            "$$email$$ || $q$ email $q$ || email ¦ $$email$$ || $q$ email $q$ || \"S\"",
            "email(email) ¦ email(\"S\")",                 // a function named like it
            "email (email) ¦ email (\"S\")",
            "(x).email = email ¦ (x).email = \"S\"",            // a field of a composite
            "t.email ¦ t.email",                     // another row's column
            "email.x ¦ email.x",                     // a qualifier
            "email::email ¦ \"S\"::email",                 // a type named like it
            "x::character varying(10) || email ¦ x::character varying(10) || \"S\"",
            "x::timestamp(3) with time zone ¦ x::timestamp(3) with time zone",
            "x::public.email[] = email ¦ x::public.email[] = \"S\"",
            "CAST(email AS email) ¦ CAST(\"S\" AS email)",
            "email COLLATE email ¦ \"S\" COLLATE email",
            "f(email => email) ¦ f(email => \"S\")",            // a named argument
            "email /* email */ -- email\\n+ 1 ¦ \"S\" /* email */ -- email\\n+ 1",
            "U&\"email\" || email ¦ U&\"email\" || \"S\"",
            "emails || email_x || x_email ¦ emails || email_x || x_email",
            "email[1] + email ¦ \"S\"[1] + \"S\"",
            "ARRAY[email, 'a'] ¦ ARRAY[\"S\", 'a']",
            "1e-5 + email ¦ 1e-5 + \"S\"",
    })
    void renamesOnlyTheColumn(String text, String expected) {
        assertThat(rename(text.replace("\\n", "\n"))).isEqualTo(expected.replace("\\n", "\n"));
    }

    /** MariaDB's lexical rules: backtick names, both quotes are strings, # comments, variables, names without case. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '¦', quoteCharacter = '~', value = {
            "lower(email) ¦ lower(NEW.`e`)",
            "EMAIL || `Email` ¦ NEW.`e` || NEW.`e`",             // names match without case, quoted or not
            "`e``mail` = email ¦ `e``mail` = NEW.`e`",            // a backtick doubled inside a quoted name
            "`Mixed Case` > 0 ¦ NEW.`m` > 0",
            "\"email\" = 'email' ¦ \"email\" = 'email'",           // both quotes make strings
            "'it\\'s email' = \"a \\\" email\" || email ¦ 'it\\'s email' = \"a \\\" email\" || NEW.`e`",
            "@email + @@email + @`email` + email ¦ @email + @@email + @`email` + NEW.`e`",   // variables
            "email # email\\n+ 1 ¦ NEW.`e` # email\\n+ 1",
            "email -- email\\n--x ¦ NEW.`e` -- email\\n--x",       // -- needs a space to start a comment
            "email /* email */ ¦ NEW.`e` /* email */",
            "_utf8mb4'email' = X'00' ¦ _utf8mb4'email' = X'00'",  // a character set introducer is no name
            "email(email) ¦ email(NEW.`e`)",
            "t.email = email ¦ t.email = NEW.`e`",
            "CAST(email AS CHAR) COLLATE email ¦ CAST(NEW.`e` AS CHAR) COLLATE email",
    })
    void readsMariaDbText(String text, String expected) {
        String renamed = ColumnReferences.rename(text.replace("\\n", "\n"), Map.of("email", "NEW.`e`", "mixed case", "NEW.`m`"),
                Set.of(), ColumnReferences.Syntax.MARIADB).text();
        assertThat(renamed).isEqualTo(expected.replace("\\n", "\n"));
    }

    @Test
    void aTriggersRowQualifiersAreReferencesWhenAsked() {
        var r = ColumnReferences.rename("(new.email IS DISTINCT FROM OLD.email) AND x.email = email",
                Map.of("email", "e2"), Set.of("new", "old"));
        assertThat(r.text()).isEqualTo("(new.e2 IS DISTINCT FROM OLD.e2) AND x.email = e2");
        assertThat(r.renamed()).isEqualTo(3);
    }

    @Test
    void countsWhatItRenamed() {
        assertThat(ColumnReferences.rename("lower(email)", Map.of("email", "x"), Set.of()).renamed()).isEqualTo(1);
        assertThat(ColumnReferences.mentions("lower(name)", "email")).isFalse();
        assertThat(ColumnReferences.mentions("'email'", "email")).isFalse();
        assertThat(ColumnReferences.mentions("x = \"email\"", "email")).isTrue();
    }

    @Test
    void findsSubqueries() {
        assertThat(ColumnReferences.hasSubquery("owner = (SELECT o.id FROM owners o)")).isTrue();
        assertThat(ColumnReferences.hasSubquery("owner = 'select'")).isFalse();
        assertThat(ColumnReferences.hasSubquery("\"select\" = 1")).isFalse();
    }
}
