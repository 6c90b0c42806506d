package dev.emend.edit.ft;

import dev.emend.model.Architecture;
import dev.emend.model.ModelLayout;
import dev.emend.model.Orientation;
import dev.emend.model.WeightRef;
import java.util.ArrayList;
import java.util.List;

/**
 * EasyEdit's choice of FT parameters ({@code ft_main.py}): every named parameter whose HF name contains
 * {@code rewrite_module_tmp.format(layer)}. Emend looks among the blocks' projections (attention and MLP weights and
 * their biases); norms and embeddings are never trained. For GPT-2's {@code transformer.h.{}.mlp.c_proj} this is the
 * weight and the bias, as in EasyEdit; for Llama's {@code model.layers.{}.mlp.down_proj.weight} the weight only.
 */
public final class TrainableParameters {
    private TrainableParameters() {}

    /**
     * One trained tensor.
     *
     * @param ref the checkpoint tensor; a bias is a [1, n] row ({@link Orientation#OUT_IN}, out = 1)
     * @param hfName the HF parameter name the template was matched against
     */
    public record Parameter(WeightRef ref, String hfName) {
        /** @return true for a 1-D parameter (a bias) */
        public boolean isVector() {
            return !hfName.endsWith(".weight");
        }
    }

    /**
     * @param architecture the model's architecture
     * @param template {@code rewrite_module_tmp}
     * @param layer the layer filled into the template
     * @return the matching parameters in layout order, possibly empty
     */
    public static List<Parameter> select(Architecture architecture, String template, int layer) {
        String key = template.replace("{}", Integer.toString(layer));
        List<Parameter> out = new ArrayList<>();
        for (ModelLayout.Block b : architecture.layout().blocks()) {
            ModelLayout.Attention a = b.attention();
            for (ModelLayout.Linear p : new ModelLayout.Linear[] {a.qkv(), a.q(), a.k(), a.v(), a.out(), b.mlp().up(),
                    b.mlp().gate(), b.mlp().down()}) {
                if (p == null) {
                    continue;
                }
                String module = architecture.projectionModule(p.weight());
                if ((module + ".weight").contains(key)) {
                    out.add(new Parameter(p.weight(), module + ".weight"));
                }
                if (p.bias() != null && (module + ".bias").contains(key)) {
                    out.add(new Parameter(new WeightRef(p.bias(), Orientation.OUT_IN, 1, p.weight().outFeatures()),
                            module + ".bias"));
                }
            }
        }
        return out;
    }
}
