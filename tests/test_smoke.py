def test_patient_walks_through(patient):
    r = patient.get("/checklist/")
    assert r.status_code == 200, r.text
    assert "Getting ready for your session" in r.text
    r = patient.get("/checklist/step/prepare")
    assert "Step 1 of 5" in r.text


def test_front_desk_reaches_board(login_as):
    client = login_as("front_desk")
    assert client.get("/board/").status_code == 200
