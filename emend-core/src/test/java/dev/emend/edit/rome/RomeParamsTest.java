package dev.emend.edit.rome;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.emend.ConfigException;
import dev.emend.Fixtures;
import dev.emend.config.ParamsLoader;
import dev.emend.edit.EditContext;
import dev.emend.edit.Editors;
import dev.emend.edit.locate.FactToken;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** EasyEdit's ROME YAML loads unchanged; anything unknown, missing, malformed or written for another model fails loudly. */
class RomeParamsTest {
    static LanguageModel gpt2;
    static LanguageModel llama;

    @BeforeAll
    static void load() {
        gpt2 = ModelLoader.load(Fixtures.tiny("gpt2"));
        llama = ModelLoader.load(Fixtures.tiny("llama"));
    }

    @AfterAll
    static void close() {
        gpt2.close();
        llama.close();
    }

    static String bundled(String method, String name) {
        return Editors.bundledText(method, name).orElseThrow();
    }

    static RomeParams parse(String yaml) {
        return ParamsLoader.read(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "test.yaml", RomeParams.class);
    }

    @Test
    void easyEditsGpt2XlFileLoadsUnchanged() {
        RomeParams p = parse(bundled("ROME", "gpt2-xl"));
        assertThat(p.algName()).isEqualTo("ROME");
        assertThat(p.layers()).containsExactly(17);
        assertThat(p.factToken()).isEqualTo(FactToken.SUBJECT_LAST);
        assertThat(p.vLr()).isEqualTo(0.5);                // "5e-1", a string to YAML 1.1
        assertThat(p.vNumGradSteps()).isEqualTo(20);
        assertThat(p.klFactor()).isEqualTo(0.0625);
        assertThat(p.contextTemplateLengthParams()).containsExactly(List.of(5, 10), List.of(10, 10));
        assertThat(p.mom2NSamples()).isEqualTo(100000);
        assertThat(p.maxLength()).isEqualTo(40);
        assertThat(p.keyMode()).isEqualTo(RomeParams.KeyMode.ORIGINAL);
        assertThat(parse(bundled("R-ROME", "gpt2-xl")).keyMode()).isEqualTo(RomeParams.KeyMode.RANDOM_PREFIX);
        assertThat(parse(bundled("R-ROME", "gpt2-xl") + "enable_prompt_keys: true\nenable_random_prefix_keys: false\n").keyMode())
                .isEqualTo(RomeParams.KeyMode.PROMPT);
    }

    @Test
    void unknownMissingAndMalformedKeysAreNamed() {
        String ok = bundled("ROME", "gpt2-xl");
        assertThatThrownBy(() -> parse(ok + "v_lrr: 0.1\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown key 'v_lrr'").hasMessageContaining("v_lr, v_num_grad_steps");
        assertThatThrownBy(() -> parse(ok.replace("kl_factor: 0.0625\n", ""))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("required key 'kl_factor' is missing");
        assertThatThrownBy(() -> parse(ok.replace("v_lr: 5e-1", "v_lr: fast"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("v_lr").hasMessageContaining("fast");
        assertThatThrownBy(() -> parse(ok.replace("v_num_grad_steps: 20", "v_num_grad_steps: 0"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("v_num_grad_steps must be at least 1, got 0");
        assertThatThrownBy(() -> parse(ok.replace("v_num_grad_steps: 20", "v_num_grad_steps: 2.5"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("v_num_grad_steps");
        assertThatThrownBy(() -> parse(ok.replace("subject_last", "subject_middle"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("fact_token 'subject_middle' is not one of subject_last, subject_first");
        assertThatThrownBy(() -> parse(ok + "enable_prompt_keys: true\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("use alg_name: R-ROME");
        assertThatThrownBy(() -> parse(bundled("R-ROME", "gpt2-xl") + "enable_prompt_keys: true\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("both true");
        assertThatThrownBy(() -> parse("alg_name: [")).isInstanceOf(ConfigException.class).hasMessageContaining("test.yaml");
    }

    @Test
    void paramsForAnotherModelAreRefused() {
        RomeParams xl = parse(bundled("ROME", "gpt2-xl"));
        assertThatThrownBy(() -> xl.checkAgainst(gpt2.architecture())).isInstanceOf(ConfigException.class)
                .hasMessageContaining("layers contains 17, but the model has layers 0..2")
                .hasMessageContaining("v_loss_layer 47");
        RomeParams llamaTemplates = parse(bundled("ROME", "fact-world")
                .replace("v_loss_layer: 3", "v_loss_layer: 1")
                .replace("transformer.h.{}.mlp.c_proj", "model.layers.{}.mlp.down_proj"));
        assertThatThrownBy(() -> llamaTemplates.checkAgainst(gpt2.architecture())).isInstanceOf(ConfigException.class)
                .hasMessageContaining("rewrite_module_tmp 'model.layers.{}.mlp.down_proj' names model.layers.0.mlp.down_proj, "
                        + "but in this gpt2 model that module is transformer.h.0.mlp.c_proj");
        RomeParams forLlama = parse(bundled("ROME", "fact-world")
                .replace("v_loss_layer: 3", "v_loss_layer: 1")
                .replace("transformer.h.{}.mlp.c_proj", "model.layers.{}.mlp.down_proj")
                .replace("\"transformer.h.{}\"", "\"model.layers.{}\"").replace("transformer.h.{}.mlp\"", "model.layers.{}.mlp\"")
                .replace("transformer.h.{}.attn", "model.layers.{}.self_attn").replace("transformer.ln_f", "model.norm")
                .replace("transformer.wte", "lm_head"));
        forLlama.checkAgainst(llama.architecture());
        parse(bundled("ROME", "fact-world").replace("v_loss_layer: 3", "v_loss_layer: 2"))
                .checkAgainst(gpt2.architecture());
    }

    @Test
    void theRegistryChecksMethodAndModel() {
        Editors editors = Editors.standard();
        assertThat(editors.methods()).containsExactly("ROME", "R-ROME", "MEMIT", "AlphaEdit", "FT-L", "FT-M", "LoRA",
                "AdaLoRA", "IKE", "ICE");
        assertThatThrownBy(() -> editors.factory("KN")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown editing method 'KN'; known: [ROME, R-ROME, MEMIT, AlphaEdit, FT-L, FT-M, LoRA, AdaLoRA, IKE, ICE]");
        assertThatThrownBy(() -> editors.createBundled("ROME", gpt2, "gpt2-xl", EditContext.defaults()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("hparams/ROME/gpt2-xl.yaml")
                .hasMessageContaining("layers contains 17");
        assertThatThrownBy(() -> editors.createBundled("ROME", gpt2, "no-such-model", EditContext.defaults()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("no bundled ROME params for 'no-such-model'");
        assertThatThrownBy(() -> editors.create("R-ROME", gpt2, dev.emend.edit.EditTesting.goldenRome().resolve("rome.yaml"),
                EditContext.defaults())).isInstanceOf(ConfigException.class)
                .hasMessageContaining("alg_name: ROME, but the method is R-ROME");
        assertThat(editors.create("ROME", gpt2, dev.emend.edit.EditTesting.goldenRome().resolve("rome.yaml"),
                EditContext.defaults()).method()).isEqualTo("ROME");
        assertThat(Editors.hasBundled("R-ROME", "fact-world")).isTrue();
    }
}
