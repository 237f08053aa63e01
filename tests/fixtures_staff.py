"""Staff fixtures: ``login_as(role)`` signs a test client in as a member of staff.

(Stub: the staff sign-in issue replaces the body with a real sign-in through the form.)"""
