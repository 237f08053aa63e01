"""The clinic's default session checklist, as data. ``flask checklist install`` loads it.

Wording is written for an anxious reader on a small phone: short, calm, no scolding.
``staff_label`` is what the front desk and clinicians read as a reason ("No driver named").
"""

KEY = "session-prep"
NAME = "Session preparation"

SECTIONS = [
    {"key": "prepare", "title": "Getting ready",
     "intro": "Ketamine tends to help most alongside the rest of your care. "
              "These are the habits that support it."},
    {"key": "bring", "title": "What to bring and wear",
     "intro": "A few small things make the hour more comfortable. Please tick each one. "
              "If any of them is hard for you, tell us in the last step or give us a call."},
    {"key": "ride", "title": "Your ride home",
     "intro": "Ketamine keeps affecting you for some hours after the session, so someone must "
              "drive you home. We cannot start the session without a driver."},
    {"key": "dayof", "title": "The day of your session",
     "intro": "When will you last eat and drink? A best guess is fine. There are no wrong "
              "answers: if something applies to you, we will simply plan around it."},
    {"key": "medicines", "title": "Your medicines",
     "intro": "Some medicines change how ketamine works. Telling us helps your team plan."},
    {"key": "health", "title": "How you are feeling",
     "intro": "These answers help your care team keep you safe. There are no wrong answers."},
    {"key": "questions", "title": "Questions for the team",
     "intro": "Anything on your mind? Your care team reads this before your session."},
]


# The driver's questions, asked unless the patient is still arranging a ride.
NAMING_DRIVER = {"item": "ride_not_yet", "value": ""}

ITEMS = [
    # prepare
    {"key": "support_habits", "section": "prepare", "kind": "confirm",
     "label": "I plan to keep up what supports me between sessions, such as therapy, "
              "journaling or meditation.",
     "help_text": "Whatever fits your care plan. If you are not sure what that is, ask us.",
     "staff_label": "Support habits not confirmed"},
    {"key": "intention", "section": "prepare", "kind": "long_text", "is_required": False,
     "label": "Is there anything you would like to focus on in this session? (optional)",
     "help_text": "A few words are plenty. You can leave this empty.", "staff_label": ""},
    # bring
    {"key": "headphones", "section": "bring", "kind": "confirm",
     "label": "I will bring headphones.",
     "help_text": "Music without words usually works best: lyrics can pull your attention "
                  "away from the experience.",
     "staff_label": "Headphones not confirmed"},
    {"key": "clothes", "section": "bring", "kind": "confirm",
     "label": "I will wear comfortable clothes.",
     "help_text": "You will sit or recline for about an hour.",
     "staff_label": "Comfortable clothes not confirmed"},
    {"key": "photo_id", "section": "bring", "kind": "confirm",
     "label": "I will bring a photo ID.", "help_text": "",
     "staff_label": "Photo ID not confirmed"},
    {"key": "arrive_early", "section": "bring", "kind": "confirm",
     "label": "I will arrive a little early, so I have time to settle in.",
     "help_text": "Your timeline at the end shows the time to arrive.",
     "staff_label": "Early arrival not confirmed"},
    # ride
    {"key": "ride_not_yet", "section": "ride", "kind": "confirm", "is_required": False,
     "flag_rule": "blocks_if_yes",
     "label": "I am still arranging a ride. I will add my driver here later.",
     "help_text": "You can still send the rest of your answers. We cannot start your session "
                  "until we know who will drive you home.",
     "staff_label": "Still arranging a ride: no driver yet"},
    {"key": "driver_name", "section": "ride", "show_if": NAMING_DRIVER,
     "kind": "short_text", "is_blocking": True,
     "label": "Your driver's full name", "help_text": "An adult you trust.",
     "staff_label": "No driver named"},
    {"key": "driver_phone", "section": "ride", "show_if": NAMING_DRIVER,
     "kind": "phone", "is_blocking": True,
     "label": "Your driver's mobile number",
     "help_text": "We may text or call them when you are ready to go home.",
     "staff_label": "No driver phone number"},
    {"key": "driver_relationship", "section": "ride", "show_if": NAMING_DRIVER,
     "kind": "short_text",
     "label": "How do you know them?", "help_text": "For example: partner, friend, parent.",
     "staff_label": "Driver's relationship not given"},
    {"key": "driver_plan", "section": "ride", "show_if": NAMING_DRIVER,
     "kind": "choice", "is_blocking": True,
     "label": "Will your driver wait for you?",
     "options": [["waits", "They will wait at the clinic"],
                 ["returns", "They will come back to pick me up"]],
     "help_text": "", "staff_label": "No pickup plan"},
    {"key": "driver_return_time", "section": "ride", "kind": "time", "is_blocking": True,
     "show_if": {"item": "driver_plan", "value": "returns"},
     "label": "What time will they come back?",
     "help_text": "On the day of your session. Only needed if they are not waiting.",
     "staff_label": "No pickup time"},
    {"key": "no_driving", "section": "ride", "kind": "confirm", "is_blocking": True,
     "label": "I will not drive, cycle or use machinery until the next day, after a night's "
              "sleep.",
     "help_text": "", "staff_label": "Has not agreed to avoid driving until the next day"},
    # day of: eating, drinking, alcohol (no page asks more than three questions)
    {"key": "last_solid_food", "section": "dayof", "kind": "datetime", "flag_rule": "solid_fast",
     "label": "When will you last eat solid food before your session?",
     "help_text": "Give the day and the time. If you are filling this in on the day and "
                  "have already eaten, give when you ate. A best guess is fine.",
     "staff_label": "Last solid food"},
    {"key": "last_clear_liquid", "section": "dayof", "kind": "datetime",
     "flag_rule": "clear_fast",
     "label": "When will you last drink clear liquids?",
     "help_text": "Clear liquids are water, clear juice, and black tea or coffee (no milk). "
                  "A best guess is fine.",
     "staff_label": "Last clear liquids"},
    {"key": "alcohol_cannabis", "section": "dayof", "kind": "yes_no", "flag_rule": "if_yes",
     "label": "Will you have had any alcohol or cannabis in the 24 hours before your session?",
     "help_text": "", "staff_label": "Alcohol or cannabis within 24 h"},
    {"key": "medications", "section": "medicines", "kind": "yes_no", "flag_rule": "if_yes",
     "label": "Do you take a benzodiazepine (such as lorazepam, clonazepam or alprazolam), "
              "lamotrigine, a stimulant, an opioid, or a sleep medicine?",
     "help_text": "Please do not stop any of these on your own: some are unsafe to stop "
                  "suddenly. Tell us, and your team will plan with you.",
     "staff_label": "Takes a medication to discuss"},
    {"key": "medications_detail", "section": "medicines", "kind": "long_text",
     "show_if": {"item": "medications", "value": "yes"},
     "label": "Which ones, and when do you usually take them?",
     "help_text": "Only needed if you answered yes to the question above.",
     "staff_label": "Medication details missing"},
    {"key": "new_illness", "section": "health", "kind": "yes_no", "flag_rule": "if_yes",
     "label": "In the past week, have you had a fever, flu-like symptoms or another new "
              "illness?",
     "help_text": "", "staff_label": "New illness reported"},
    {"key": "pregnancy", "section": "health", "kind": "yes_no", "flag_rule": "if_yes",
     "label": "Is there any chance you could be pregnant?",
     "help_text": "Answer no if this does not apply to you.",
     "staff_label": "Possible pregnancy"},
    {"key": "blood_pressure", "section": "health", "kind": "yes_no", "flag_rule": "if_yes",
     "label": "Have you had any problems with your blood pressure recently?",
     "help_text": "", "staff_label": "Recent blood-pressure problems"},
    # questions
    {"key": "questions", "section": "questions", "kind": "long_text", "is_required": False,
     "flag_rule": "if_answered",
     "label": "Your questions or concerns (optional)",
     "help_text": "Leave this empty if you have none.",
     "staff_label": "Has a question for the team"},
]


# The patient's words in other languages, by section and item key (staff words stay English).
# Written for the reader, not word for word: plain Latin American Spanish, "usted".
TRANSLATIONS = {"es": {
    "sections": {
        "prepare": {"title": "Cómo prepararse",
                    "intro": "La ketamina suele ayudar más junto con el resto de su cuidado. "
                             "Estas son las costumbres que la apoyan."},
        "bring": {"title": "Qué traer y qué ponerse",
                  "intro": "Algunas cosas pequeñas hacen que la hora sea más cómoda. Por favor, "
                           "marque cada una. Si alguna es difícil para usted, díganos en el "
                           "último paso o llámenos."},
        "ride": {"title": "Su viaje a casa",
                 "intro": "La ketamina le sigue haciendo efecto por unas horas después de la "
                          "sesión, así que alguien tiene que llevarlo a su casa en carro. No "
                          "podemos empezar la sesión si nadie lo va a llevar."},
        "dayof": {"title": "El día de su sesión",
                  "intro": "¿Cuándo va a comer y beber por última vez? Está bien si no sabe "
                           "la hora exacta. No hay respuestas malas: si algo tiene que ver con "
                           "usted, lo vamos a tener en cuenta."},
        "medicines": {"title": "Sus medicamentos",
                      "intro": "Algunos medicamentos cambian cómo funciona la ketamina. "
                               "Si nos dice, su equipo puede planear."},
        "health": {"title": "Cómo se siente",
                   "intro": "Estas respuestas ayudan a su equipo de atención a cuidarlo. No "
                            "hay respuestas malas."},
        "questions": {"title": "Preguntas para el equipo",
                      "intro": "¿Tiene algo en mente? Su equipo de atención lee esto antes de "
                               "su sesión."},
    },
    "items": {
        "support_habits": {
            "label": "Pienso seguir con lo que me ayuda entre sesiones, como la terapia, "
                     "escribir un diario o meditar.",
            "help_text": "Lo que vaya con su plan de cuidado. Si no sabe cuál es, pregúntenos."},
        "intention": {
            "label": "¿Hay algo en lo que le gustaría enfocarse en esta sesión? (opcional)",
            "help_text": "Unas pocas palabras bastan. Puede dejarlo en blanco."},
        "headphones": {
            "label": "Voy a traer audífonos.",
            "help_text": "La música sin letra suele ser mejor: la letra de una canción puede "
                         "distraerlo de la experiencia."},
        "clothes": {
            "label": "Voy a usar ropa cómoda.",
            "help_text": "Va a estar sentado o recostado por más o menos una hora."},
        "photo_id": {"label": "Voy a traer una identificación con foto."},
        "arrive_early": {
            "label": "Voy a llegar un poco antes, para tener tiempo de acomodarme.",
            "help_text": "Al final, su horario le muestra a qué hora llegar."},
        "ride_not_yet": {
            "label": "Todavía estoy buscando quién me lleve. Lo voy a escribir aquí después.",
            "help_text": "Igual puede enviar el resto de sus respuestas. No podemos empezar su "
                         "sesión hasta saber quién lo va a llevar a su casa."},
        "driver_name": {
            "label": "Nombre completo de la persona que lo va a llevar",
            "help_text": "Un adulto de su confianza."},
        "driver_phone": {
            "label": "Número de celular de esa persona",
            "help_text": "Puede que le mandemos un mensaje o la llamemos cuando usted esté "
                         "listo para irse a casa."},
        "driver_relationship": {
            "label": "¿De dónde la conoce?",
            "help_text": "Por ejemplo: pareja, amigo, mamá o papá."},
        "driver_plan": {
            "label": "¿Esa persona lo va a esperar?",
            "options": {"waits": "Me va a esperar en la clínica",
                        "returns": "Va a regresar a recogerme"}},
        "driver_return_time": {
            "label": "¿A qué hora va a regresar?",
            "help_text": "El día de su sesión. Solo hace falta si no lo va a esperar."},
        "no_driving": {
            "label": "No voy a manejar, andar en bicicleta ni usar máquinas hasta el día "
                     "siguiente, después de dormir una noche."},
        "last_solid_food": {
            "label": "¿Cuándo va a comer comida sólida por última vez antes de su sesión?",
            "help_text": "Escriba el día y la hora. Si llena esto el mismo día y ya comió, "
                         "escriba cuándo comió. Está bien si no sabe la hora exacta."},
        "last_clear_liquid": {
            "label": "¿Cuándo va a tomar líquidos claros por última vez?",
            "help_text": "Los líquidos claros son el agua, el jugo claro, y el té o el café "
                         "negro (sin leche). Está bien si no sabe la hora exacta."},
        "alcohol_cannabis": {
            "label": "¿Va a tomar alcohol o usar cannabis en las 24 horas antes de su sesión?"},
        "medications": {
            "label": "¿Toma una benzodiazepina (como lorazepam, clonazepam o alprazolam), "
                     "lamotrigina, un estimulante, un opioide o un medicamento para dormir?",
            "help_text": "Por favor, no deje de tomar ninguno por su cuenta: con algunos es "
                         "peligroso dejarlos de golpe. Díganos, y su equipo lo va a planear "
                         "con usted."},
        "medications_detail": {
            "label": "¿Cuáles toma, y a qué hora los toma normalmente?",
            "help_text": "Solo hace falta si contestó que sí a la pregunta de arriba."},
        "new_illness": {
            "label": "En la última semana, ¿ha tenido fiebre, síntomas de gripe u otra "
                     "enfermedad nueva?"},
        "pregnancy": {
            "label": "¿Hay alguna posibilidad de que esté embarazada?",
            "help_text": "Conteste que no si esto no tiene que ver con usted."},
        "blood_pressure": {
            "label": "¿Ha tenido algún problema con la presión arterial últimamente?"},
        "questions": {
            "label": "Sus preguntas o preocupaciones (opcional)",
            "help_text": "Déjelo en blanco si no tiene ninguna."},
    },
}}


def item_translations(key: str) -> dict:
    """An item's words in each language, as ``ChecklistItem.translations`` stores them."""
    return {language: words["items"][key] for language, words in TRANSLATIONS.items()
            if key in words["items"]}


def sections_with_translations() -> list[dict]:
    """SECTIONS with each one's words in the other languages, as a version stores them."""
    return [{**section, "translations": {language: words["sections"][section["key"]]
                                         for language, words in TRANSLATIONS.items()
                                         if section["key"] in words["sections"]}}
            for section in SECTIONS]
