package dev.emend.edit;

import dev.emend.ConfigException;
import dev.emend.config.ParamsLoader;
import dev.emend.edit.ft.FtEditor;
import dev.emend.edit.ft.FtParams;
import dev.emend.edit.ice.IceEditor;
import dev.emend.edit.ike.IkeEditor;
import dev.emend.edit.lora.LoraEditor;
import dev.emend.edit.lora.LoraParams;
import dev.emend.edit.memit.MemitEditor;
import dev.emend.edit.memit.MemitParams;
import dev.emend.edit.rome.RomeEditor;
import dev.emend.edit.rome.RomeParams;
import dev.emend.model.LanguageModel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The registry of editing methods (MEMIT's {@code ALG_DICT}, typed): method name → factory, built explicitly, no
 * reflection and no global state. Params files are loaded strictly and checked against the model before an editor
 * is made. This is the one class of {@code dev.emend.edit} that knows the method packages.
 */
public final class Editors {
    private final Map<String, EditorFactory<?>> factories;

    private Editors(Map<String, EditorFactory<?>> factories) {
        this.factories = Collections.unmodifiableMap(new LinkedHashMap<>(factories));
    }

    /** @return the methods shipped with Emend: ROME, R-ROME, MEMIT, AlphaEdit, FT-L, FT-M, LoRA, AdaLoRA, IKE and ICE */
    public static Editors standard() {
        return builder().add(RomeEditor.factory(RomeParams.ROME)).add(RomeEditor.factory(RomeParams.R_ROME))
                .add(MemitEditor.factory(MemitParams.MEMIT)).add(MemitEditor.factory(MemitParams.ALPHA_EDIT))
                .add(FtEditor.factory(FtParams.FT_L)).add(FtEditor.factory(FtParams.FT_M))
                .add(LoraEditor.factory(LoraParams.LORA)).add(LoraEditor.factory(LoraParams.ADALORA))
                .add(IkeEditor.factory()).add(IceEditor.factory()).build();
    }

    /** @return an empty builder */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds an {@link Editors}. */
    public static final class Builder {
        private final Map<String, EditorFactory<?>> factories = new LinkedHashMap<>();

        private Builder() {}

        /**
         * Registers a factory.
         *
         * @param factory the factory; its method name must be new
         * @return this builder
         */
        public Builder add(EditorFactory<?> factory) {
            if (factories.putIfAbsent(factory.method(), factory) != null) {
                throw new IllegalArgumentException("method " + factory.method() + " is registered twice");
            }
            return this;
        }

        /** @return the registry */
        public Editors build() {
            return new Editors(factories);
        }
    }

    /** @return the registered method names */
    public Set<String> methods() {
        return factories.keySet();
    }

    /**
     * @param method a method name, e.g. "ROME"
     * @return its factory
     * @throws ConfigException if unknown, listing the known methods
     */
    public EditorFactory<?> factory(String method) {
        EditorFactory<?> f = factories.get(method);
        if (f == null) {
            throw new ConfigException("unknown editing method '%s'; known: %s".formatted(method, factories.keySet()));
        }
        return f;
    }

    /**
     * Loads a params file and creates an editor.
     *
     * @param method the method
     * @param model the model to edit
     * @param paramsFile an EasyEdit hparams YAML for this method
     * @param context cache, corpora, seed, listener
     * @return the editor
     * @throws ConfigException if the file is invalid, is for another method, or does not fit the model
     */
    public Editor create(String method, LanguageModel model, Path paramsFile, EditContext context) {
        return create(factory(method), model, ParamsLoader.load(paramsFile, factory(method).paramsType()), paramsFile.toString(), context);
    }

    /**
     * Creates an editor from a params file or, when no such file exists, from the bundled params of that name (so
     * {@code --hparams smollm2-135m} finds {@code hparams/ROME/smollm2-135m.yaml}).
     *
     * @param method the method
     * @param model the model
     * @param fileOrName a YAML path, or a bundled params name
     * @param context cache, corpora, seed, listener
     * @return the editor
     * @throws ConfigException if it is neither, listing what to pass
     */
    public Editor create(String method, LanguageModel model, String fileOrName, EditContext context) {
        Path file = Path.of(fileOrName);
        if (java.nio.file.Files.isRegularFile(file)) {
            return create(method, model, file, context);
        }
        if (hasBundled(method, fileOrName)) {
            return createBundled(method, model, fileOrName, context);
        }
        throw new ConfigException(("'%s' is neither a params file nor a params name Emend bundles for %s; pass an EasyEdit "
                + "hparams YAML path or one of the bundled names (hparams/%s/*.yaml in emend-core)").formatted(fileOrName, method, method));
    }

    /**
     * Creates an editor from params bundled with Emend ({@code hparams/<METHOD>/<name>.yaml} on the class path).
     *
     * @param method the method
     * @param model the model
     * @param name the params name, e.g. "fact-world" or "gpt2-xl"
     * @param context cache, corpora, seed, listener
     * @return the editor
     * @throws ConfigException if there is no such file, listing how to pass one
     */
    public Editor createBundled(String method, LanguageModel model, String name, EditContext context) {
        EditorFactory<?> f = factory(method);
        String resource = bundledResource(method, name);
        try (InputStream in = Editors.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new ConfigException(("Emend has no bundled %s params for '%s' (looked for %s); pass a params file "
                        + "(--hparams FILE) written for this model").formatted(method, name, resource));
            }
            return create(f, model, ParamsLoader.read(in, resource, f.paramsType()), resource, context);
        } catch (IOException e) {
            throw new ConfigException("cannot read " + resource + ": " + e.getMessage(), e);
        }
    }

    /**
     * @param method the method
     * @param name the params name
     * @return true if Emend bundles {@code hparams/<method>/<name>.yaml}
     */
    public static boolean hasBundled(String method, String name) {
        return Editors.class.getClassLoader().getResource(bundledResource(method, name)) != null;
    }

    /**
     * @param method the method
     * @param name the params name
     * @return the bundled YAML text, if any
     */
    public static Optional<String> bundledText(String method, String name) {
        try (InputStream in = Editors.class.getClassLoader().getResourceAsStream(bundledResource(method, name))) {
            return in == null ? Optional.empty() : Optional.of(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static String bundledResource(String method, String name) {
        return "hparams/%s/%s.yaml".formatted(method, name);
    }

    private static <P extends EditParams> Editor create(EditorFactory<P> f, LanguageModel model, Object params,
            String source, EditContext context) {
        P p = f.paramsType().cast(params);
        if (!f.method().equals(p.method())) {
            String says = p.method().equals(p.algName()) ? "alg_name: " + p.algName()
                    : "alg_name: %s, which is %s".formatted(p.algName(), p.method());
            throw new ConfigException("%s says %s, but the method is %s; use a %s params file".formatted(source,
                    says, f.method(), f.method()));
        }
        try {
            p.checkAgainst(model.architecture());
        } catch (ConfigException e) {
            throw new ConfigException(source + ": " + e.getMessage(), e);
        }
        return f.create(model, p, context);
    }
}
