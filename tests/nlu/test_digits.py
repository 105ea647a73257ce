from nlu.digits import read_back, spoken_digits


def test_spoken_digits_words_and_numerals():
    assert spoken_digits("one two three four five six") == "123456"
    assert spoken_digits("it's 4 2 oh 7") == "4207"
    assert spoken_digits("double five triple nine zero") == "559990"
    assert spoken_digits("12345678") == "12345678"


def test_homophones_count_only_among_digits():
    assert spoken_digits("I want to complain") == ""
    assert spoken_digits("one two for five") == "1245"
    assert spoken_digits("no idea") == ""


def test_read_back_is_digit_by_digit():
    assert read_back("4710") == "4, 7, 1, 0"
    assert read_back("") == ""
