package io.fedlora.deploy.cli;

import io.fedlora.client.model.BaseQuantization;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/** The {@code --base-quantization} option, the same on every command that loads a base model. */
final class BaseQuantizationOption {

    /** Also the doc of the client's base-quantization setting. */
    static final String DOC = "How the frozen base's linear layers are held: none (float32) or nf4 (4-bit"
            + " NormalFloat, QLoRA; about 1/8 of their memory).";

    @Option(names = "--base-quantization", defaultValue = "none", paramLabel = "none|nf4",
            converter = Converter.class, description = DOC + " Default: ${DEFAULT-VALUE}.")
    BaseQuantization value = BaseQuantization.NONE;

    static final class Converter implements ITypeConverter<BaseQuantization> {
        @Override
        public BaseQuantization convert(String text) {
            return BaseQuantization.parse(text);
        }
    }
}
