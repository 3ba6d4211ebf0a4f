package io.fedlora.client.data.jinja;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.util.Locale;

/**
 * The globals transformers gives a chat template besides its variables: {@code raise_exception}
 * and {@code strftime_now}. The clock comes from the render's context (injected, in UTC).
 */
public final class HuggingFaceFunctions {

    static final String CLOCK = "__fedlora_clock";

    private HuggingFaceFunctions() {}

    public static Object raiseException(Object message) {
        throw new TemplateRaised(String.valueOf(message));
    }

    public static String strftimeNow(String format) {
        InstantSource clock = (InstantSource) JinjavaInterpreter.getCurrent().getContext().get(CLOCK);
        return StrftimeFormatter.format(clock.instant().atZone(ZoneOffset.UTC), format, Locale.ENGLISH);
    }
}
