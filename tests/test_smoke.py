def test_front_desk_reaches_board(login_as):
    client = login_as("front_desk")
    assert client.get("/board/").status_code == 200
