package dev.emend.edit.lora;

import dev.emend.ConfigException;
import dev.emend.model.Architecture;
import dev.emend.model.ModelLayout;
import dev.emend.model.WeightRef;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * PEFT's choice of adapted modules for a list of {@code target_modules}: a block projection whose HF module path
 * ({@link Architecture#projectionModule}) equals a name or ends with {@code "." + name}, in the layers given
 * ({@code layers_to_transform}; all when empty). Only block projections are considered (attention and MLP); GPT-2's
 * fused {@code c_attn} is one module, as in PEFT.
 */
public final class LoraTargets {
    private LoraTargets() {}

    /**
     * One adapted projection.
     *
     * @param module the HF module path, e.g. {@code transformer.h.3.mlp.c_proj}
     * @param layer its block
     * @param weight its weight
     */
    public record Target(String module, int layer, WeightRef weight) {}

    /**
     * @param architecture the model's architecture
     * @param params the params
     * @return the targets in layer and layout order
     * @throws ConfigException if a name matches no module in any of the layers
     */
    public static List<Target> select(Architecture architecture, LoraParams params) {
        List<ModelLayout.Block> blocks = architecture.layout().blocks();
        List<Integer> layers = new ArrayList<>(params.layers());
        if (layers.isEmpty()) {
            for (int l = 0; l < blocks.size(); l++) {
                layers.add(l);
            }
        }
        List<Target> out = new ArrayList<>();
        Set<String> matched = new LinkedHashSet<>();
        for (int l : layers) {
            ModelLayout.Block b = blocks.get(l);
            ModelLayout.Attention a = b.attention();
            for (ModelLayout.Linear p : new ModelLayout.Linear[] {a.qkv(), a.q(), a.k(), a.v(), a.out(), b.mlp().up(),
                    b.mlp().gate(), b.mlp().down()}) {
                if (p == null) {
                    continue;
                }
                String module = architecture.projectionModule(p.weight());
                for (String t : params.targetModules()) {
                    if (module.equals(t) || module.endsWith("." + t)) {
                        matched.add(t);
                        out.add(new Target(module, l, p.weight()));
                        break;
                    }
                }
            }
        }
        for (String t : params.targetModules()) {
            if (!matched.contains(t)) {
                String example = architecture.projectionModule(blocks.get(layers.get(0)).mlp().down().weight());
                throw new ConfigException(("LoRA params: target_modules entry '%s' matches no projection of layers %s in "
                        + "this %s model (module names look like %s)").formatted(t, layers, architecture.family(), example));
            }
        }
        return List.copyOf(out);
    }
}
