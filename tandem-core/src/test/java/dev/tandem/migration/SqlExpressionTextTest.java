package dev.tandem.migration;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** What an expression field may hold: anything that stays one expression inside Tandem's parentheses. */
class SqlExpressionTextTest {
    @ParameterizedTest
    @ValueSource(strings = {
            "lower(name) || '@example.org'",
            "CASE WHEN enabled THEN 1 ELSE 0 END",
            "';' || name || ')'",                      // ; and ) inside a string
            "'it''s (here'",                            // doubled quote
            "E'a\\'); b'",                              // backslash escape in an E'' string
            "\"odd;name)\" + 1",                        // quoted name
            "$$ ; ) $$ || $x$ ( ; $x$",                 // dollar quotes, with and without a tag
            "price * 2 -- doubled\n",                   // a line comment that ends
            "1 /* outer /* inner ; ) */ still ) */",    // nested block comment
            "coalesce((SELECT max(v) FROM t), 0)",
            "numeric(10, 2)",
            "a$b + 1",                                  // $ inside a name starts no quote
    })
    void acceptsOneExpression(String text) {
        assertThat(SqlExpressionText.problem(text)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "1); DROP TABLE users; --",
            "1; DROP TABLE users",
            "'x') FROM (SELECT 1) AS x UNION SELECT ('y'",
            "'x'), name = ('hacked'",
            "(1",
            "'unterminated",
            "\"unterminated",
            "$$ unterminated",
            "$t$ unterminated $x$",
            "1 /* unterminated",
            "1 /* nested /* only one closed */",
            "1 -- hides what follows",
            "'a\\'); DROP TABLE t; --'",                 // no backslash escapes outside E''
    })
    void refusesWhatEscapesOrEndsTheStatement(String text) {
        assertThat(SqlExpressionText.problem(text)).isNotNull();
    }
}
