package dev.emend.edit.locate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.emend.Fixtures;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Context templates: the bare "{}" first, the model's own seeded samples after it. */
class ContextTemplatesTest {
    @Test
    void generatedTemplatesAreSeededAndWellFormed() {
        try (LanguageModel m = ModelLoader.load(Fixtures.tiny("gpt2"))) {
            List<List<Integer>> lengths = List.of(List.of(5, 10), List.of(10, 10));
            ContextTemplates a = ContextTemplates.generate(m, lengths, 42);
            assertThat(a.templates()).hasSize(21);
            assertThat(a.templates().get(0)).isEqualTo("{}");
            for (String t : a.templates().subList(1, 21)) {
                assertThat(t).endsWith(". {}");
                assertThat(t.indexOf("{}")).isEqualTo(t.lastIndexOf("{}"));
            }
            assertThat(a.templates().get(1)).startsWith("The");
            assertThat(a.templates().get(20)).startsWith("You");
            assertThat(ContextTemplates.generate(m, lengths, 42).templates()).isEqualTo(a.templates());
            assertThat(ContextTemplates.generate(m, lengths, 43).templates()).isNotEqualTo(a.templates());
            int shortLen = m.tokenizer().encode(a.templates().get(1).replace(". {}", ""), true).length;
            int longLen = m.tokenizer().encode(a.templates().get(11).replace(". {}", ""), true).length;
            assertThat(shortLen).isLessThan(longLen);
        }
    }

    @Test
    void fixedTemplatesAreChecked() {
        assertThat(ContextTemplates.fixed(List.of("{}", "Hello. {}")).around("{} is in")).containsExactly("{} is in", "Hello. {} is in");
        assertThatThrownBy(() -> ContextTemplates.fixed(List.of("Hello. {}"))).hasMessageContaining("must be \"{}\"");
        assertThatThrownBy(() -> ContextTemplates.fixed(List.of("{}", "no hole"))).hasMessageContaining("exactly one {}");
    }
}
